/// The console's page frame and HTML text escaping. Pages carry no inline script or style
/// (the Content-Security-Policy forbids both): behaviour is `/static/console.js`, looks are
/// `/static/console.css`.
public enum PageLayout {
    public enum Section: String, CaseIterable, Sendable {
        case monitor = "IP Security Monitor", policy = "Policy", rsop = "Resultant Set of Policy", trace = "Trace"

        var path: String {
            switch self {
            case .monitor: "/"
            case .policy: "/policy"
            case .rsop: "/rsop"
            case .trace: "/trace"
            }
        }
    }

    /// A whole page: the navigation, the role, the CSRF token (for the script's POSTs), the body.
    public static func page(_ section: Section, role: ConsoleAccess.Role, csrf: String?, host: String, body: String) -> String {
        let navigation = Section.allCases.map { item in
            "<a href=\"\(item.path)\"\(item == section ? " class=\"current\"" : "")>\(escape(item.rawValue))</a>"
        }.joined() + "<a href=\"/metrics\">Metrics</a>"
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>\(escape(section.rawValue)) — Ward on \(escape(host))</title>
        <meta name="ward-role" content="\(role.rawValue)">\(csrf.map { "\n<meta name=\"ward-csrf\" content=\"\($0)\">" } ?? "")
        <link rel="stylesheet" href="/static/console.css">
        <script src="/static/chart.js" defer></script>
        <script src="/static/console.js" defer></script>
        </head><body data-section="\(section == .monitor ? "monitor" : "static")">
        <header><h1>Ward IPsec — \(escape(host))</h1><nav>\(navigation)</nav><span class="role" id="role">\(role.rawValue)</span></header>
        <main>
        \(body)
        </main></body></html>
        """
    }

    /// Text as HTML text or attribute value.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A table from a header row and rows of already-escaped cells.
    static func table(id: String? = nil, _ header: [String], _ rows: [[String]]) -> String {
        "<table\(id.map { " id=\"\($0)\"" } ?? "")><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            + rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined() + "</tbody></table>"
    }

    /// A POST form of hidden fields and one button, carrying the CSRF token.
    static func button(_ label: String, action: String, fields: [(String, String)], csrf: String, id: String) -> String {
        "<form method=\"post\" action=\"\(action)\" class=\"inline\">"
            + ([(ConsoleAccess.csrfField, csrf)] + fields).map { "<input type=\"hidden\" name=\"\(escape($0.0))\" value=\"\(escape($0.1))\">" }.joined()
            + "<button type=\"submit\" id=\"\(escape(id))\">\(escape(label))</button></form>"
    }
}
