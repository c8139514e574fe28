// Written by scripts/generate-swift-client.sh: what the files beside it were generated from.
enum GeneratedClientSource {
    static let generator = "swift-openapi-generator 1.14.3"
    static let documentSHA256 = "7d5ddb364c43f8cadb99b196f4306cbc9d0e5e5f3b75a1a731cb40d474b78178"
    static let configurationSHA256 = "163c680070a94377041ddf06eb5d0ca1f8a6a15582dad37f6bdfadd8d93211f5"
}
