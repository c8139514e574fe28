// Written by scripts/generate-swift-client.sh: what the files beside it were generated from.
enum GeneratedClientSource {
    static let generator = "swift-openapi-generator 1.14.3"
    static let documentSHA256 = "76134cbbf65816887ea23f49f1bf646b6da41a28e2bd3a7948bfe1275e3d6d09"
    static let configurationSHA256 = "163c680070a94377041ddf06eb5d0ca1f8a6a15582dad37f6bdfadd8d93211f5"
}
