/// `ward ipsec trace` as a form: the packet's fields in, the command's own output out.
public enum TracePage {
    /// The form's fields: the trace command's parameters, in its order.
    public static let fields: [(tag: String, label: String, placeholder: String)] = [
        ("srcaddr", "Source address", "me or an address"), ("dstaddr", "Destination address", "me or an address"),
        ("protocol", "Protocol", "ANY, ICMP, TCP, UDP or 0-255"), ("srcport", "Source port", "0-65535"),
        ("dstport", "Destination port", "0-65535"), ("direction", "Direction", "in or out"),
        ("conntype", "Connection type", "lan or dialup"), ("protected", "Arrived protected", "yes or no"),
    ]

    public static func body(values: [String: String], result: Result<String, ConsoleError>?) -> String {
        var html = "<form method=\"get\" action=\"/trace\" id=\"trace-form\" class=\"trace\">"
        for field in fields {
            html += "<label>\(PageLayout.escape(field.label)) <input name=\"\(field.tag)\" id=\"trace-\(field.tag)\" "
                + "placeholder=\"\(PageLayout.escape(field.placeholder))\" value=\"\(PageLayout.escape(values[field.tag] ?? ""))\"></label>"
        }
        html += "<button type=\"submit\" id=\"trace-submit\">Trace</button></form>"
        switch result {
        case nil: break
        case .success(let text)?: html += "<pre id=\"trace-result\">\(PageLayout.escape(text))</pre>"
        case .failure(let error)?: html += "<p class=\"warning\" id=\"trace-error\">\(PageLayout.escape(error.description))</p>"
        }
        return html
    }
}
