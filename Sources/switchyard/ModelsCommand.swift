import ArgumentParser
import DeviceSimulation
import Foundation

/// `switchyard models …`: the admin API's client. Each subcommand is one request; the answer
/// prints as lines, an error as one line on stderr with exit status 1.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List and change model versions on a running gateway (its admin API).",
        subcommands: [
            List.self, Load.self, Validate.self, Canary.self, Promote.self, Rollback.self, Retire.self, Audit.self, Devices.self,
        ]
    )

    /// Where the admin API is and how to prove who we are.
    struct Connection: ParsableArguments {
        @Option(help: "The admin API's base URL.")
        var adminURL: String = "http://127.0.0.1:\(ServeSettings.defaultAdminPort)"

        @Option(help: "File holding the bearer token (else $SWITCHYARD_ADMIN_TOKEN, else DATA_DIR/admin-token).")
        var adminTokenFile: String?

        @Option(help: "The server's data directory, where it wrote a generated token.")
        var dataDir: String = RegistrySettings.defaultDataDirectory

        func client() throws -> AdminClient {
            guard let url = URL(string: self.adminURL), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw ServeError("--admin-url must be an http(s) URL, got '\(self.adminURL)'")
            }
            return AdminClient(
                base: url, token: try AdminToken.forClient(file: self.adminTokenFile, dataDirectory: self.dataDir))
        }
    }

    /// `NAME@VERSION`.
    struct VersionArgument: ParsableArguments {
        @Argument(help: "The model version, NAME@VERSION (e.g. smollm2@2).")
        var target: String

        func parts() throws -> (String, String) {
            let pieces = self.target.split(separator: "@", omittingEmptySubsequences: false)
            guard pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty else {
                throw ServeError("expected NAME@VERSION, got '\(self.target)'")
            }
            return (String(pieces[0]), String(pieces[1]))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every version: state, weight, replicas.")
        @OptionGroup var connection: Connection

        func run() async throws {
            try await ModelsCommand.report { try await self.connection.client().send("GET", "/admin/models") }
        }
    }

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load a version's replicas (no traffic yet).")
        @OptionGroup var connection: Connection
        @OptionGroup var version: VersionArgument
        @Option(help: "Replicas to load (default: the manifest's).")
        var replicas: Int?

        func run() async throws {
            try await ModelsCommand.report {
                let (model, version) = try self.version.parts()
                let body: [String: Any] = self.replicas.map { ["replicas": $0] } ?? [:]
                return try await self.connection.client().send("POST", "/admin/models/\(model)/\(version)/load", body: body)
            }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the golden prompts and the latency smoke check.")
        @OptionGroup var connection: Connection
        @OptionGroup var version: VersionArgument

        func run() async throws {
            try await ModelsCommand.report {
                let (model, version) = try self.version.parts()
                return try await self.connection.client().send("POST", "/admin/models/\(model)/\(version)/validate")
            }
        }
    }

    struct Canary: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a share of the traffic to a validated version.")
        @OptionGroup var connection: Connection
        @OptionGroup var version: VersionArgument
        @Option(help: "Share of the model's requests, strictly between 0 and 1.")
        var weight: Double

        func run() async throws {
            try await ModelsCommand.report {
                let (model, version) = try self.version.parts()
                return try await self.connection.client().send(
                    "POST", "/admin/models/\(model)/\(version)/canary", body: ["weight": self.weight])
            }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a validated version stable with all the traffic.")
        @OptionGroup var connection: Connection
        @OptionGroup var version: VersionArgument

        func run() async throws {
            try await ModelsCommand.report {
                let (model, version) = try self.version.parts()
                return try await self.connection.client().send("POST", "/admin/models/\(model)/\(version)/promote")
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Return a model to its weights before the last canary or promotion.")
        @OptionGroup var connection: Connection
        @Argument(help: "The model name.")
        var model: String

        func run() async throws {
            try await ModelsCommand.report { try await self.connection.client().send("POST", "/admin/models/\(self.model)/rollback") }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drain a version without traffic, then unload it.")
        @OptionGroup var connection: Connection
        @OptionGroup var version: VersionArgument

        func run() async throws {
            try await ModelsCommand.report {
                let (model, version) = try self.version.parts()
                return try await self.connection.client().send("POST", "/admin/models/\(model)/\(version)/retire")
            }
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The lifecycle audit log.")
        @OptionGroup var connection: Connection
        @Option(help: "Only this model's records.")
        var model: String?

        func run() async throws {
            try await ModelsCommand.report {
                let query = self.model.map { "?model=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""
                return try await self.connection.client().send("GET", "/admin/audit\(query)")
            }
        }
    }

    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The simulated devices every loaded replica is pinned to, as `switchyard devices` prints a fleet.")
        @OptionGroup var connection: Connection

        func run() async throws {
            try await ModelsCommand.report {
                let data = try await self.connection.client().data("GET", "/admin/devices")
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                guard let report = try? decoder.decode(FleetReport.self, from: data) else {
                    throw ServeError("the admin API's device report is not a fleet report")
                }
                return [DevicesCommand.render(report)]
            }
        }
    }

    /// Prints the answer's lines; any error is one line on stderr and exit status 1.
    static func report(_ request: () async throws -> [String]) async throws {
        do {
            for line in try await request() { print(line) }
        } catch let error as ServeError {
            FileHandle.standardError.write(Data("switchyard: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }
}
