import Netsh
import XCTest

final class TokenizerTests: XCTestCase {
    func testTagsValuesAndQuotes() throws {
        let tokens = try Tokenizer.tokenize(#"add filter filterlist="All Web" srcaddr=me  dstaddr=any description="" "name=odd""#)
        XCTAssertEqual(tokens.map(\.tag), [nil, nil, "filterlist", "srcaddr", "dstaddr", "description", nil])
        XCTAssertEqual(tokens.map(\.value), ["add", "filter", "All Web", "me", "any", "", "name=odd"])
        XCTAssertEqual(tokens[2].column, 12)
    }

    func testValueKeepsLaterEqualsSignsAndBackslashes() throws {
        let tokens = try Tokenizer.tokenize(#"rootca="CN=Root, O=\'Ward\' certmap:yes" file=C:\temp\x.ipsec"#)
        XCTAssertEqual(tokens[0].value, #"CN=Root, O=\'Ward\' certmap:yes"#)
        XCTAssertEqual(tokens[1].value, #"C:\temp\x.ipsec"#)
    }

    func testErrorsNameTheColumn() {
        XCTAssertThrowsError(try Tokenizer.tokenize(#"add policy name="open"#)) { error in
            XCTAssertEqual((error as? NetshError)?.message, "unterminated quote starting at column 17")
        }
        XCTAssertThrowsError(try Tokenizer.tokenize("add policy =x")) { error in
            XCTAssertEqual((error as? NetshError)?.message, "'=' without a tag at column 12")
        }
    }

    func testQuoteRoundTrips() throws {
        for value in ["plain", "two words", "", "a=b", #"say "hi""#] {
            let token = try Tokenizer.tokenize("x=" + Tokenizer.quote(value))[0]
            XCTAssertEqual(token.value.replacingOccurrences(of: #"\'"#, with: "\""), value)
        }
    }
}
