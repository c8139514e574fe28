// Written by scripts/generate-swift-client.sh: what the files beside it were generated from.
enum GeneratedClientSource {
    static let generator = "swift-openapi-generator 1.14.3"
    static let documentSHA256 = "3d320291af680d4076f467cc478c1fe9a51f292c48be064a51034dcee2e4bd4f"
    static let configurationSHA256 = "163c680070a94377041ddf06eb5d0ca1f8a6a15582dad37f6bdfadd8d93211f5"
}
