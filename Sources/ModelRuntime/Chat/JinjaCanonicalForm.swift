/// A canonical spelling of Jinja source, so that templates differing only in layout compare
/// equal: inside `{{ }}` and `{% %}` whitespace outside string literals is dropped and every
/// literal is unescaped and re-quoted with `'`. Text outside tags is output, so it is kept
/// exactly.
enum JinjaCanonicalForm {
    static func of(_ source: String) -> String {
        let scalars = Array(source.unicodeScalars)
        var output = String.UnicodeScalarView()
        var index = 0
        var closing: (Unicode.Scalar, Unicode.Scalar)? = nil

        func at(_ offset: Int) -> Unicode.Scalar? {
            index + offset < scalars.count ? scalars[index + offset] : nil
        }

        while index < scalars.count {
            let scalar = scalars[index]
            guard let close = closing else {
                if scalar == "{", let next = at(1), next == "{" || next == "%" {
                    closing = (next == "{" ? "}" : "%", "}")
                    output.append(contentsOf: [scalar, next])
                    index += 2
                } else {
                    output.append(scalar)
                    index += 1
                }
                continue
            }
            if scalar == close.0, at(1) == close.1 {
                output.append(contentsOf: [close.0, close.1])
                closing = nil
                index += 2
            } else if scalar == "'" || scalar == "\"" {
                index += 1
                output.append("'")
                while index < scalars.count, scalars[index] != scalar {
                    if scalars[index] == "\\", index + 1 < scalars.count {
                        output.append(JinjaCanonicalForm.unescaped(scalars[index + 1]))
                        index += 2
                    } else {
                        output.append(scalars[index])
                        index += 1
                    }
                }
                output.append("'")
                index += 1
            } else {
                if !scalar.properties.isWhitespace {
                    output.append(scalar)
                }
                index += 1
            }
        }
        return String(output)
    }

    private static func unescaped(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar {
        case "n": "\n"
        case "t": "\t"
        case "r": "\r"
        default: scalar
        }
    }
}
