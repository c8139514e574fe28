// swift-tools-version: 6.0
import Foundation
import PackageDescription

// Native libraries that no Swift package wraps are reached through thin C modules:
// OpenBLAS (matrix products), FFTW (spectra), libebur128 (loudness), aubio (pitch), FFmpeg's
// libraries (video decoding) and OpenCV (through a small C++ bridge with a C API: network
// inference and Haar cascades) come from Debian; sherpa-onnx (runs the silero VAD network)
// and the ONNX Runtime beside it come from its PyPI wheel, unpacked by scripts/setup.sh
// into .deps/ — their libraries need a search path and an rpath, hence the unsafe flags.
let sherpaLib = Context.packageDirectory + "/.deps/sherpa-onnx/lib"
// whisper.cpp (transcription) likewise comes from a PyPI wheel (crispasr), unpacked into .deps/.
let whisperLib = Context.packageDirectory + "/.deps/whisper/lib"

let package = Package(
    name: "EdControl",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "edcontrol", targets: ["edcontrol"]),
        .executable(name: "lessongen", targets: ["lessongen"]),
        .library(name: "EdControlEngine", targets: ["EdControlEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Only the tests use these: the API's Swift client generated from its OpenAPI document
        // (scripts/generate-swift-client.sh) runs on them.
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.0"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CSherpaOnnx"),
        .systemLibrary(name: "CWhisper"),
        .systemLibrary(name: "CEBUR128", pkgConfig: "libebur128", providers: [.apt(["libebur128-dev"])]),
        .systemLibrary(name: "CAubio", pkgConfig: "aubio", providers: [.apt(["libaubio-dev"])]),
        // Debian's libopencv-dev. Only the four modules the bridge uses are linked:
        // `pkg-config opencv4` would link all 55, costing 0.3 s and ~100 MB at every start (measured).
        .target(
            name: "CVisionBridge",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
            linkerSettings: ["opencv_dnn", "opencv_objdetect", "opencv_imgproc", "opencv_core"].map { .linkedLibrary($0) }
        ),
        // ONNX Runtime, from the sherpa-onnx-core wheel (no package ships its C header, so the
        // bridge declares the few entries it calls): runs the speaker-segmentation model.
        .target(
            name: "COnnxRuntimeBridge",
            linkerSettings: [.unsafeFlags(["-L", sherpaLib, "-Xlinker", "-rpath", "-Xlinker", sherpaLib]), .linkedLibrary("onnxruntime")]
        ),
        // Debian's FFmpeg libraries: video is decoded and sampled in-process (a bridge in C,
        // because libavcodec's API reports through macros such as AVERROR).
        .target(
            name: "CMediaBridge",
            linkerSettings: ["avformat", "avcodec", "avfilter", "avutil"].map { .linkedLibrary($0) }
        ),
        // The engine: media in, a lesson's report (its value types) out.
        .target(
            name: "EdControlEngine",
            dependencies: [
                "COpenBLAS", "CFFTW", "CSherpaOnnx", "CWhisper", "CVisionBridge", "COnnxRuntimeBridge", "CMediaBridge", "CEBUR128", "CAubio",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            linkerSettings: [
                .unsafeFlags(["-L", sherpaLib, "-Xlinker", "-rpath", "-Xlinker", sherpaLib,
                              "-L", whisperLib, "-Xlinker", "-rpath", "-Xlinker", whisperLib]),
            ]
        ),
        // The report's rendering: HTML, SVG charts, CSV, WebVTT, RTTM, face pictures.
        .target(name: "EdControlReports", dependencies: ["EdControlEngine"]),
        // The ML lab: evaluation metrics, experiments, statistics, drift, calibration, model cards.
        .target(name: "EdControlLab", dependencies: ["EdControlEngine", "EdControlReports"]),
        // LTI 1.3 as a tool speaks it: launches verified, the tool's keys, the messages it signs.
        // No HTTP here: the web layer carries the messages.
        .target(
            name: "EdControlLTI",
            dependencies: [
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ]
        ),
        // Storage: the records, the store's protocols and their conformance kit, the data folder.
        // No database here: a backend conforms to these protocols.
        .target(
            name: "EdControlStorage",
            dependencies: [
                "EdControlEngine", "EdControlReports", "EdControlLab", "EdControlLTI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        ),
        // The embedded backend: the store on one SQLite file (GRDB), its migrations and backups.
        .target(
            name: "EdControlSQLite",
            dependencies: [
                "EdControlEngine", "EdControlLab", "EdControlLTI", "EdControlStorage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The store on PostgreSQL (postgres-nio's pool, rows through SQLKit), for many nodes.
        .target(
            name: "EdControlPostgres",
            dependencies: [
                "EdControlEngine", "EdControlLab", "EdControlLTI", "EdControlStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Lessons' files in an S3-compatible bucket (SigV4 over AsyncHTTPClient).
        .target(
            name: "EdControlS3",
            dependencies: [
                "EdControlEngine", "EdControlStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        ),
        // The one place a backend is chosen, from `--database` and `--storage`.
        .target(name: "EdControlBackends", dependencies: ["EdControlStorage", "EdControlSQLite", "EdControlPostgres", "EdControlS3"]),
        // The service: lessons, workers, webhooks, registry, shadow runs, pilot, feedback,
        // retention, LTI's flows, the interface's texts. No HTTP server here (no Hummingbird).
        .target(
            name: "EdControlService",
            dependencies: [
                "EdControlEngine", "EdControlReports", "EdControlLab", "EdControlLTI", "EdControlStorage",
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Text/Catalogues")]
        ),
        // The web layer: the HTTP API, the dashboard, security middleware and the server.
        .target(
            name: "EdControlWeb",
            dependencies: [
                "EdControlEngine", "EdControlReports", "EdControlLab", "EdControlLTI", "EdControlStorage", "EdControlService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("API/openapi.yaml"), .copy("Dashboard/Templates"), .copy("Dashboard/Static")]
        ),
        .target(name: "LessonSynthesis", dependencies: ["EdControlEngine", "EdControlReports"]),
        .executableTarget(
            name: "edcontrol",
            dependencies: [
                "EdControlEngine",
                "EdControlReports",
                "EdControlLab",
                "EdControlStorage",
                "EdControlBackends",
                "EdControlService",
                "EdControlWeb",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "lessongen",
            dependencies: [
                "LessonSynthesis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the three test targets share: fixtures, a service process, the router in-process,
        // the browser, page audits. Built only with the tests (no product needs it).
        .target(
            name: "EdControlTestSupport",
            dependencies: ["EdControlEngine", "EdControlReports", "EdControlStorage", "EdControlSQLite", "EdControlPostgres", "EdControlS3", "EdControlBackends",
                           "EdControlService", "EdControlWeb", "LessonSynthesis",
                           .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "Prometheus", package: "swift-prometheus")],
            path: "Tests/EdControlTestSupport"
        ),
        // The engine's stages, each alone, on real models and media; LTI launch checks. No server.
        .testTarget(name: "UnitTests", dependencies: ["EdControlTestSupport", "EdControlEngine", "EdControlReports", "EdControlLab",
                                                      "EdControlLTI", "LessonSynthesis",
                                                      .product(name: "JWTKit", package: "jwt-kit"),
                                                      .product(name: "Crypto", package: "swift-crypto")]),
        // The service in-process: the API and pages through Hummingbird's test client over a
        // temporary SQLite store, the lesson service, the store conformance kit.
        .testTarget(name: "ServiceTests", dependencies: ["EdControlTestSupport", "EdControlEngine", "EdControlReports", "EdControlLab",
                                                         "EdControlStorage", "EdControlSQLite", "EdControlPostgres", "EdControlS3", "EdControlService", "EdControlWeb",
                                                         .product(name: "GRDB", package: "GRDB.swift"),
                                                         .product(name: "Hummingbird", package: "hummingbird"),
                                                         .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                         .product(name: "Prometheus", package: "swift-prometheus")]),
        // Real `edcontrol` processes, a real browser, schemathesis, the real corpora.
        .testTarget(name: "EndToEndTests", dependencies: ["EdControlTestSupport", "EdControlEngine", "EdControlReports", "EdControlLab",
                                                          "EdControlStorage", "EdControlSQLite", "EdControlBackends",
                                                          "EdControlService", "EdControlWeb", "EdControlLTI", "LessonSynthesis",
                                                          .product(name: "JWTKit", package: "jwt-kit"),
                                                          .product(name: "GRDB", package: "GRDB.swift"),
                                                          .product(name: "Hummingbird", package: "hummingbird"),
                                                          .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                          .product(name: "Crypto", package: "swift-crypto"),
                                                          .product(name: "Prometheus", package: "swift-prometheus"),
                                                          .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                                                          .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client")]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
