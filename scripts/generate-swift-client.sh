#!/usr/bin/env bash
# Generates the API's Swift client from its OpenAPI document with Apple's swift-openapi-generator
# into Tests/EndToEndTests/GeneratedClient/, where the end-to-end tests drive a server with
# it, and records the sha256 of the document and of the generator's configuration beside it
# (GeneratedClientSource.swift): GeneratedClientTests fails when either changed since. Run it
# after every change of Sources/EdControlWeb/API/openapi.yaml.
#
# The client is generated here and committed, not by the generator's build plugin, so that
# neither the product's build nor every test run builds the generator.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.14.3
tool=.build-openapi-generator/$version
generator=$tool/.build/release/swift-openapi-generator
if [ ! -x "$generator" ]; then
  rm -rf "$tool"
  git clone -q --branch "$version" --depth 1 https://github.com/apple/swift-openapi-generator "$tool" 2>/dev/null \
    || git clone -q --branch "$version" https://github.com/apple/swift-openapi-generator "$tool"
  swift build -c release --package-path "$tool" --product swift-openapi-generator
fi
document=Sources/EdControlWeb/API/openapi.yaml
config=scripts/openapi-generator-config.yaml
out=Tests/EndToEndTests/GeneratedClient
rm -rf "$out"; mkdir -p "$out"
"$generator" generate "$document" --config "$config" --output-directory "$out" >/dev/null
cat >"$out/GeneratedClientSource.swift" <<SWIFT
// Written by scripts/generate-swift-client.sh: what the files beside it were generated from.
enum GeneratedClientSource {
    static let generator = "swift-openapi-generator $version"
    static let documentSHA256 = "$(sha256sum "$document" | cut -d' ' -f1)"
    static let configurationSHA256 = "$(sha256sum "$config" | cut -d' ' -f1)"
}
SWIFT
echo "$out: $(ls "$out" | wc -l) files from $document"
