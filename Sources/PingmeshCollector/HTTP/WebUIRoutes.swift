import Foundation
import Hummingbird
import NIOCore

/// The web UI: plain HTML, CSS and JavaScript from `WebUI/Assets`, compiled into the binary
/// (SwiftPM's embedInCode), so an air-gapped collector serves it with nothing else installed.
/// `index.html` answers at `/`, every file at `/ui/NAME`. A directory given instead serves the
/// files from disk, for working on the UI without rebuilding.
public enum WebUIRoutes {
    /// Every embedded asset by file name.
    static let embedded: [String: [UInt8]] = [
        "agents-view.js": PackageResources.agents_view_js,
        "api.js": PackageResources.api_js,
        "app.css": PackageResources.app_css,
        "app.js": PackageResources.app_js,
        "boot.js": PackageResources.boot_js,
        "chart.js": PackageResources.chart_js,
        "faults-view.js": PackageResources.faults_view_js,
        "format.js": PackageResources.format_js,
        "heatmap-tooltip.js": PackageResources.heatmap_tooltip_js,
        "heatmap-view.js": PackageResources.heatmap_view_js,
        "heatmap.js": PackageResources.heatmap_js,
        "incidents-view.js": PackageResources.incidents_view_js,
        "index.html": PackageResources.index_html,
        "matrix-reader.js": PackageResources.matrix_reader_js,
        "pair-view.js": PackageResources.pair_view_js,
        "probe-view.js": PackageResources.probe_view_js,
        "settings.js": PackageResources.settings_js,
        "topology.js": PackageResources.topology_js,
    ]

    static func add(to router: Router<BasicRequestContext>, directory: String?) {
        router.get("/") { _, _ in try asset("index.html", directory: directory) }
        router.get("/ui/:file") { _, context in try asset(context.parameters.get("file") ?? "", directory: directory) }
    }

    static func asset(_ name: String, directory: String?) throws -> Response {
        let bytes: [UInt8]?
        if let directory {
            // Names are single path components: nothing above the directory can be read.
            bytes = isPlainName(name) ? FileManager.default.contents(atPath: "\(directory)/\(name)").map { [UInt8]($0) } : nil
        } else {
            bytes = embedded[name]
        }
        guard let bytes else { throw HTTPError(.notFound, message: "no UI file '\(name)'") }
        return Response(
            status: .ok,
            headers: [.contentType: contentType(of: name), .cacheControl: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }
    }

    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "json": "application/json"
        default: "application/octet-stream"
        }
    }
}
