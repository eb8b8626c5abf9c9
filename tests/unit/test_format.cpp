// The formatter behind `wfrun fmt`: a messy file comes out in the canonical layout with every
// comment kept, formatting twice changes nothing (for every `.wf` file in the repository and for
// a table of tricky inputs), and a file that does not parse is reported, not rewritten.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "grammar/format.hpp"
#include "grammar/parse.hpp"

using namespace wfrun;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Formats `source` and checks the three promises: it parses, it keeps every comment, and
// formatting the result again changes nothing.
std::string check_format(const std::string& source) {
    auto once = format_source("t.wf", source);
    REQUIRE(once.ok());
    auto again = format_source("t.wf", once.text);
    REQUIRE(again.ok());
    CHECK(again.text == once.text);
    auto before = parse_source("t.wf", source);
    auto after = parse_source("t.wf", once.text);
    REQUIRE(after.ok());
    CHECK(after.file.comments.size() == before.file.comments.size());
    CHECK(after.file.workflows.size() == before.file.workflows.size());
    CHECK(after.file.forms.size() == before.file.forms.size());
    CHECK(after.file.chains.size() == before.file.chains.size());
    return once.text;
}

}  // namespace

TEST_CASE("a messy file comes out in the canonical layout with its comments") {
    const std::string messy = R"(# header comment

# about the block
block   B{description "b"   tag B
  x:int required   active "the x"   # trailing x
    longer_name : str?
}
form f { title "T {reporter}"
  # standalone in form
  a : choice("p\"q", "r") = "p\"q"
  b: list( subscription( UserGroup , active ) ) = [ subscription.user_group.name , 1 ] min 1 max 2
}
chain c = unsync>>resync
chain d = c
workflow w { target SYSTEM
description "W"   # desc comment
form f
  steps init >> if a == "p" { c >> group "G" { unsync >> resync } retry(attempts: 3) } >> (abort) timeout(5s, then: abort)
  # before done
  >> input(f)
  >> if not b { abort  # inside
  } >> done }
# trailing file comment
)";
    const std::string expected = R"(# header comment

# about the block
block B {
    description "b"
    tag B
    x:           int  required active  "the x"  # trailing x
    longer_name: str?
}

form f {
    title "T {reporter}"
    # standalone in form
    a: choice("p\"q", "r") = "p\"q"
    b: list(subscription(UserGroup, active)) = [subscription.user_group.name, 1]  min 1  max 2
}

chain c = unsync >> resync
chain d = c

workflow w {
    target      SYSTEM
    description "W"  # desc comment
    form        f

    steps init
        >> if a == "p" { c >> group "G" { unsync >> resync } retry(attempts: 3) }
        >> (abort) timeout(5s, then: abort)
        # before done
        >> input(f)
        >> if not b { abort }  # inside
        >> done
}

# trailing file comment
)";
    CHECK(check_format(messy) == expected);
}

TEST_CASE("formatting is idempotent on tricky inputs") {
    const std::vector<std::string> cases = {
        "",
        "# only a comment\n",
        "# a\n\n\n# b\n",
        "workflow w { steps init >> done }",
        "workflow w {\n    steps\n    # between steps and init\n    init >> done\n}\n",
        "workflow w { steps init >> if x {\n # inside the body\n a >> b } >> done }",
        "workflow w { steps init >> if x { a\n >> b  # after b\n } >> done }",
        "workflow w { steps init >> group \"a very long title that does not fit on the line at "
        "all, no, not at all\" { first_step_with_a_long_name >> second_step_with_a_long_name } "
        ">> done }",
        "form f { x: str = \"{{literal}} \\u{1F600} \\t\" }  # after the brace\n",
        "chain c = a\n# between chains\nchain d = b\n",
        "chain c = a >> b\n\nchain d = c\n",
        "product \"P \\\"q\\\"\" { type P fixed a = \"x\" root: B }",
        "workflow w { steps init >> s(1, k: [1, [2, 3]], d: 5m, b: false, e: A.B) >> done }\n",
        "block B {\n}\n",
        "workflow w { # c1\n # c2\n description \"d\" }",
        "chain c = a # on a\n >> b chain d = a >> b  # on d\n",
        "chain\n# before the first element\nc = a\n >> b\n",
        "chain c = a >>\n # between a and b\n b\n",
        "chain c = a >> b(1,\n # among the arguments\n 2)\n",
        "chain c = if x {\n a # in the body\n >> b } >> d\n",
    };
    for (const auto& c : cases) {
        INFO(c);
        check_format(c);
    }
}

TEST_CASE("a carriage return without a line feed is a line break to fmt") {
    // A comment ends at a bare carriage return, so code may follow it on the same line.
    const std::string source = "chain c = a  # note\r>> b\r# more\rchain d = c\r";
    CHECK(check_format(source) == "chain c = a  # note\n    >> b\n# more\nchain d = c\n");
    auto parsed = parse_source("t.wf", format_source("t.wf", source).text);
    REQUIRE(parsed.file.chains.size() == 2);
    CHECK(parsed.file.chains[0].body.size() == 2);

    CHECK(check_format("# a\r# b\rworkflow w { steps init >> done }") ==
          "# a\n# b\nworkflow w {\n    steps init\n        >> done\n}\n");
    CHECK(check_format("workflow w { steps init # c\r>> done }") ==
          "workflow w {\n    steps init  # c\n        >> done\n}\n");
    CHECK(check_format("workflow w {\r\n    steps init  # first\r\n        >> done\r\n}\r\n") ==
          "workflow w {\n    steps init  # first\n        >> done\n}\n");
}

TEST_CASE("every .wf file of the repository formats idempotently and keeps its comments") {
    std::size_t files = 0;
    for (const char* dir : {"/workflows", "/tests/lint"}) {
        for (const auto& entry :
             fs::recursive_directory_iterator(WFRUN_SOURCE_DIR + std::string(dir))) {
            if (entry.path().extension() != ".wf") continue;
            auto source = read(entry.path());
            if (!parse_source("t.wf", source).ok()) continue;  // the syntax-error fixtures
            INFO(entry.path().string());
            check_format(source);
            ++files;
        }
    }
    CHECK(files >= 20);
}

TEST_CASE("a file that does not parse is reported with its syntax error") {
    auto r = format_source("bad.wf", "workflow w { steps init >> >> done }");
    CHECK_FALSE(r.ok());
    CHECK(r.text.empty());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].code == "E001");
}

TEST_CASE("strings are quoted with escapes the parser reads back") {
    CHECK(quote_string("plain") == "\"plain\"");
    CHECK(quote_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(quote_string("l\nt\t") == "\"l\\nt\\t\"");
    CHECK(quote_string(std::string("\x01", 1)) == "\"\\u{1}\"");
    auto parsed = parse_source("t.wf", "form f { title " + quote_string("x\"\\\n\t\x01y") + " }");
    REQUIRE(parsed.ok());
    CHECK(parsed.file.forms[0].properties[0].values[0].text == "x\"\\\n\t\x01y");
}
