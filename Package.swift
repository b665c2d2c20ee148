// swift-tools-version:6.0
// consult: a consultation-process workflow engine over PostgreSQL.
import PackageDescription

/// Settings shared by every target, tests included.
let swiftSettings: [SwiftSetting] = [
  // SE-0335: spell existential types `any P`, so their cost is visible.
  .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
  name: "consult",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "consult", targets: ["consult"]),
    // The parsers, for the fuzz harnesses in Fuzz/ (a package of its own, built by Fuzz/run.sh).
    .library(name: "ConsultCore", targets: ["ConsultCore"]),
    .library(name: "ConsultImport", targets: ["ConsultImport"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.0"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
    // Property-based tests (random event sequences); test targets only.
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
  ],
  targets: [
    // libpq, the PostgreSQL C client library, as a Swift module (Debian: libpq-dev).
    .systemLibrary(
      name: "CLibPQ",
      pkgConfig: "libpq",
      providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
    ),
    // A small, safe Swift layer over libpq: connections, parameterised queries, typed rows, COPY.
    .target(name: "Postgres", dependencies: ["CLibPQ"], swiftSettings: swiftSettings),
    // The pure workflow core: definitions, their validation and transition rules, and the rule
    // that turns local wall-clock times into instants (LocalTime.swift, zone rules from Foundation's
    // TimeZone); no other I/O.
    .target(
      name: "ConsultCore",
      dependencies: [.product(name: "Yams", package: "Yams")],
      swiftSettings: swiftSettings
    ),
    // The pure logic of drafting a paper: Markdown sections and their stable anchors, citations,
    // text-quote anchoring of comments across revisions, section-aware diffs; no I/O.
    .target(name: "ConsultDrafting", swiftSettings: swiftSettings),
    // Parsers that turn external submission files into contribution records; no database.
    // ConsultCore gives them the one rule for local times (LocalTimeResolver) the CLI uses too.
    // CSV is read by consult's own byte-level reader (CSVRowReader.swift); CSV.swift writes the
    // rejects file only.
    .target(
      name: "ConsultImport",
      dependencies: [
        "ConsultCore", .product(name: "CSV", package: "CSV.swift"), .product(name: "Yams", package: "Yams"),
      ],
      swiftSettings: swiftSettings
    ),
    // Creates, starts and stops the private local PostgreSQL cluster used when no server is configured.
    .target(name: "EmbeddedPostgres", swiftSettings: swiftSettings),
    // The store: every SQL statement, migrations and the use cases run as single transactions.
    .target(
      name: "ConsultStore",
      dependencies: ["Postgres", "ConsultCore", "ConsultImport", "ConsultDrafting"],
      resources: [.copy("Resources/Schema"), .copy("Resources/Workflows")],
      swiftSettings: swiftSettings
    ),
    // Renderers that turn data read from the store into Markdown, HTML, JSON, CSV and iCalendar.
    .target(
      name: "ConsultExport",
      dependencies: [
        "ConsultStore", "ConsultDrafting", .product(name: "Mustache", package: "swift-mustache"),
        .product(name: "CSV", package: "CSV.swift"),
      ],
      swiftSettings: swiftSettings
    ),
    // The `consult` command-line interface: parses arguments, calls one use case, prints.
    .executableTarget(
      name: "consult",
      dependencies: [
        "ConsultStore", "ConsultExport", "EmbeddedPostgres", "ConsultCore", "Postgres", "ConsultDrafting",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings
    ),
    // `consult-bench`: transitions per second through the store (Benchmarks/transitions.sh) and
    // the speed of reading an import file alone (Benchmarks/import.sh).
    .executableTarget(
      name: "consult-bench", dependencies: ["ConsultStore", "ConsultCore", "ConsultImport", "Postgres"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "ConsultCoreTests",
      dependencies: ["ConsultCore", .product(name: "PropertyBased", package: "swift-property-based")],
      swiftSettings: swiftSettings
    ),
    .testTarget(name: "ConsultDraftingTests", dependencies: ["ConsultDrafting"], swiftSettings: swiftSettings),
    .testTarget(name: "PostgresTests", dependencies: ["Postgres"], swiftSettings: swiftSettings),
    // CSV.swift is the reference of the differential CSV reader tests (with Python's csv module
    // and PostgreSQL's COPY … CSV, run as processes).
    .testTarget(
      name: "ConsultImportTests",
      dependencies: ["ConsultImport", "ConsultCore", .product(name: "CSV", package: "CSV.swift")],
      resources: [.copy("Differential/python_csv.py")],
      swiftSettings: swiftSettings),
    .testTarget(name: "EmbeddedPostgresTests", dependencies: ["EmbeddedPostgres"], swiftSettings: swiftSettings),
    .testTarget(
      name: "ConsultStoreTests",
      dependencies: [
        "ConsultStore", "ConsultCore", "Postgres", "ConsultExport", "ConsultDrafting",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ],
      // Golden/: expected exports of the scenario, read by path (RECORD_GOLDEN=1 rewrites them).
      exclude: ["Golden"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "ConsultExportTests", dependencies: ["ConsultExport", "ConsultCore", "ConsultDrafting"],
      swiftSettings: swiftSettings),
    .testTarget(name: "ConsultCLITests", dependencies: ["consult", "Postgres"], swiftSettings: swiftSettings),
  ]
)
