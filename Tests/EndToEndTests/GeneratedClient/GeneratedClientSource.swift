// Written by scripts/generate-swift-client.sh: what the files beside it were generated from.
enum GeneratedClientSource {
    static let generator = "swift-openapi-generator 1.14.3"
    static let documentSHA256 = "a3223f1419ddb8564a6ee08d0c01d520eacf11f53d281dde57a2fa73549f6a53"
    static let configurationSHA256 = "163c680070a94377041ddf06eb5d0ca1f8a6a15582dad37f6bdfadd8d93211f5"
}
