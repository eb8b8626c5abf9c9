// The linter, driven by data: every `.wf` fixture under tests/lint/ is linted together with
// tests/lint/common/, and the diagnostics found must be exactly those its `# expect:` comments
// name, on their lines (`# expect: error[E101]`, `# expect: warning[W105]`, several per line
// allowed). Every code in docs/lint-codes.md has a fixture; the tutorial catalog lints clean.
// The graph of a workflow is checked here as well.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/catalog/walk.hpp"
#include "interpreter/plan/graph.hpp"
#include "stdlib/builtin_steps.hpp"
#include "tutorial_steps.hpp"

using namespace wfrun;
namespace fs = std::filesystem;

namespace {

const std::string lint_dir = WFRUN_SOURCE_DIR "/tests/lint";

const registry& steps() {
    static const registry r = [] {
        registry out;
        register_stdlib(out);
        tutorial::register_steps(out);
        return out;
    }();
    return r;
}

// "line severity[CODE]" for each expectation or diagnostic, so that a mismatch prints readably.
using findings = std::set<std::string>;

std::string finding(std::size_t line, const std::string& level, const std::string& code) {
    return fmt::format("{:>4} {}[{}]", line, level, code);
}

findings expectations(const std::string& path) {
    findings out;
    std::ifstream in(path);
    std::string text;
    static const std::regex expect_re(R"(#\s*expect:(.*)$)");
    static const std::regex item_re(R"((error|warning)\[([EW][0-9]{3})\])");
    for (std::size_t line = 1; std::getline(in, text); ++line) {
        std::smatch m;
        if (!std::regex_search(text, m, expect_re)) continue;
        std::string rest = m[1];
        for (std::sregex_iterator it(rest.begin(), rest.end(), item_re), end; it != end; ++it)
            out.insert(finding(line, (*it)[1], (*it)[2]));
    }
    return out;
}

std::vector<std::string> fixtures() {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(lint_dir))
        if (entry.is_regular_file() && entry.path().extension() == ".wf")
            out.push_back(entry.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string listing(const std::vector<diagnostic>& ds) {
    std::string out;
    for (const auto& d : ds) out += format_diagnostic(d) + "\n";
    return out;
}

}  // namespace

TEST_CASE("every lint fixture reports exactly the diagnostics its expect comments name") {
    const auto files = fixtures();
    REQUIRE(files.size() >= 20);
    for (const auto& path : files) {
        DYNAMIC_SECTION(fs::path(path).filename().string()) {
            auto expected = expectations(path);
            INFO("a fixture names at least one expected diagnostic");
            REQUIRE_FALSE(expected.empty());
            auto cat = load_catalog({path, lint_dir + "/common"}, steps());
            findings found;
            std::vector<diagnostic> elsewhere;
            for (const auto& d : cat->diagnostics) {
                if (d.pos.file_name() != path) {
                    elsewhere.push_back(d);
                    continue;
                }
                found.insert(
                    finding(d.pos.line, d.level == severity::error ? "error" : "warning", d.code));
            }
            INFO("diagnostics:\n" << listing(cat->diagnostics));
            CHECK(elsewhere.empty());
            CHECK(found == expected);
        }
    }
}

TEST_CASE("every code in docs/lint-codes.md has a fixture named after it") {
    std::ifstream in(WFRUN_SOURCE_DIR "/docs/lint-codes.md");
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    const auto doc = text.str();
    std::set<std::string> codes;
    static const std::regex heading_re(R"(\n### ([EW][0-9]{3}))");
    for (std::sregex_iterator it(doc.begin(), doc.end(), heading_re), end; it != end; ++it)
        codes.insert((*it)[1]);
    REQUIRE(codes.size() >= 20);
    std::set<std::string> covered;
    for (const auto& path : fixtures())
        for (const auto& f : expectations(path)) covered.insert(f.substr(f.find('[') + 1, 4));
    for (const auto& code : codes) {
        if (code == "E002") continue;  // an unreadable file cannot carry a comment; see below
        INFO(code);
        CHECK(covered.count(code) == 1);
    }
}

TEST_CASE("a path that cannot be read is E002 at line 1, column 1") {
    auto cat = load_catalog({lint_dir + "/no_such_file.wf"}, steps());
    REQUIRE(cat->diagnostics.size() == 1);
    CHECK(cat->diagnostics[0].code == "E002");
    CHECK(cat->diagnostics[0].pos.line == 1);
    CHECK(cat->diagnostics[0].pos.column == 1);
    CHECK_FALSE(cat->ok());
}

TEST_CASE("the tutorial catalog lints with no errors and no warnings") {
    auto cat = load_catalog({WFRUN_SOURCE_DIR "/workflows"}, steps());
    INFO(listing(cat->diagnostics));
    CHECK(cat->diagnostics.empty());
    CHECK_FALSE(cat->plans.empty());
}

TEST_CASE("the lint fixtures together report every problem, sorted by file and line") {
    std::vector<std::string> paths = fixtures();
    paths.push_back(lint_dir + "/common");
    auto cat = load_catalog(paths, steps());
    REQUIRE(cat->diagnostics.size() > 20);
    for (std::size_t i = 1; i < cat->diagnostics.size(); ++i) {
        const auto& a = cat->diagnostics[i - 1].pos;
        const auto& b = cat->diagnostics[i].pos;
        INFO(format_diagnostic(cat->diagnostics[i - 1]) << "\n"
                                                        << format_diagnostic(cat->diagnostics[i]));
        CHECK(std::make_tuple(a.file_name(), a.line, a.column) <=
              std::make_tuple(b.file_name(), b.line, b.column));
    }
}

TEST_CASE("a named chain used by two workflows is reported once") {
    // The chain below reads a key neither workflow writes; one diagnostic, not two.
    const auto dir = fs::temp_directory_path() / "wfrun-lint-shared-chain";
    fs::create_directories(dir);
    std::ofstream(dir / "shared.wf") << R"(chain finish = if missing_key { abort } >> resync
workflow a {
    description "A"
    target MODIFY
    product_type UserGroup
    steps init >> unsync >> finish >> done
}
workflow b {
    description "B"
    target MODIFY
    product_type UserGroup
    steps init >> unsync >> finish >> done
}
)";
    auto cat = load_catalog({(dir / "shared.wf").string(), lint_dir + "/common"}, steps());
    fs::remove_all(dir);
    INFO(listing(cat->diagnostics));
    REQUIRE(cat->diagnostics.size() == 1);
    CHECK(cat->diagnostics[0].code == "E111");
    CHECK(cat->diagnostics[0].pos.line == 1);
}

TEST_CASE("named chains nested a hundred deep are expanded by the linter, the plan and graph") {
    const auto dir = fs::temp_directory_path() / "wfrun-lint-deep-chains";
    fs::create_directories(dir);
    {
        std::ofstream out(dir / "deep.wf");
        out << "chain c0 = if stop { abort }\n";
        for (int i = 1; i < 100; ++i) out << fmt::format("chain c{} = c{}\n", i, i - 1);
        out << "workflow deep {\n    description \"Deep\"\n    target SYSTEM\n"
               "    steps init >> c99 >> done\n}\n";
    }
    auto cat = load_catalog({(dir / "deep.wf").string(), lint_dir + "/common"}, steps());
    // The condition reads a key nothing writes: found only when the chain is followed to c0.
    INFO(listing(cat->diagnostics));
    REQUIRE(cat->diagnostics.size() == 1);
    CHECK(cat->diagnostics[0].code == "E111");
    CHECK(cat->diagnostics[0].pos.line == 1);

    std::ofstream(dir / "deep.wf", std::ios::app) << "form stop_form {\n    stop: bool\n}\n";
    {
        // The same, with `stop` from an input page: it plans, and the plan reaches `abort`.
        std::ifstream in(dir / "deep.wf");
        std::stringstream text;
        text << in.rdbuf();
        auto fixed = std::regex_replace(text.str(), std::regex("steps init >> c99"),
                                        "steps init >> input(stop_form) >> c99");
        std::ofstream(dir / "deep.wf") << fixed;
    }
    cat = load_catalog({(dir / "deep.wf").string(), lint_dir + "/common"}, steps());
    auto graph = cat->ok() ? render_graph(*cat, steps(), "deep", graph_format::mermaid) : "";
    fs::remove_all(dir);
    INFO(listing(cat->diagnostics));
    REQUIRE(cat->diagnostics.empty());
    const auto* plan = cat->plan("deep");
    REQUIRE(plan != nullptr);
    REQUIRE(plan->steps.size() == 4);
    CHECK(plan->steps[2].name == "abort");
    CHECK(plan->steps[2].conditions.size() == 1);
    CHECK(graph.find("\"if stop\"") != std::string::npos);
    CHECK(graph.find("[\"abort\"]") != std::string::npos);
}

namespace {

// A catalog of one generated file beside the common products; the file is removed again.
std::unique_ptr<catalog> load_generated(const std::string& name, const std::string& text) {
    const auto dir = fs::temp_directory_path() / ("wfrun-lint-" + name);
    fs::create_directories(dir);
    std::ofstream(dir / "deep.wf") << text;
    auto cat = load_catalog({(dir / "deep.wf").string(), lint_dir + "/common"}, steps());
    fs::remove_all(dir);
    return cat;
}

// `levels` named chains, each using the one before (`wrap` around the use), and a workflow
// using the last: the innermost step sits levels + (levels - 1) * blocks-per-wrap deep.
std::string chain_line(int levels, const std::string& open = "", const std::string& close = "") {
    std::string out = "chain c0 = abort\n";
    for (int i = 1; i < levels; ++i)
        out += fmt::format("chain c{} = {}c{}{}\n", i, open, i - 1, close);
    return out + fmt::format(
                     "workflow deep {{\n    description \"Deep\"\n    target SYSTEM\n"
                     "    steps init >> c{} >> done\n}}\n",
                     levels - 1);
}

std::vector<diagnostic> with_code(const catalog& c, const std::string& code) {
    std::vector<diagnostic> out;
    for (const auto& d : c.diagnostics)
        if (d.code == code) out.push_back(d);
    return out;
}

}  // namespace

TEST_CASE("named chains nest up to max_nesting_depth, deeper is E118 reported once") {
    // c0's step sits inside 1000 uses: the limit exactly.
    auto at_limit = load_generated("at-limit", chain_line(static_cast<int>(max_nesting_depth)));
    INFO(listing(at_limit->diagnostics));
    CHECK(at_limit->ok());
    REQUIRE(at_limit->plan("deep") != nullptr);
    CHECK(at_limit->plan("deep")->steps.size() == 3);

    auto beyond = load_generated("beyond", chain_line(static_cast<int>(max_nesting_depth) + 1));
    INFO(listing(beyond->diagnostics));
    CHECK_FALSE(beyond->ok());
    auto found = with_code(*beyond, "E118");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Catch::Contains("nesting too deep in workflow 'deep'"));
    // Found where the walk stops: the use in c1 of c0, the 1001st level.
    CHECK(found[0].pos.line == 2);
    CHECK(with_code(*beyond, "E110").empty());
}

TEST_CASE("chains 30000 deep and blocks 20000 deep are E118, without a stack overflow") {
    // A line of named chains, plain and with a block around each use.
    for (const auto& [open, close] : std::vector<std::pair<std::string, std::string>>{
             {"", ""}, {"if x { ", " }"}, {"group \"g\" { ", " }"}, {"(", ")"}}) {
        INFO("chain c(i) = " << open << "c(i-1)" << close);
        auto cat = load_generated("line", chain_line(open.empty() ? 30'000 : 20'000, open, close));
        CHECK_FALSE(cat->ok());
        CHECK(with_code(*cat, "E118").size() == 1);
        CHECK(cat->plans.empty());
    }
    // Blocks written inside one another: the parser stops at its own limit.
    std::string blocks =
        "workflow deep {\n    description \"Deep\"\n    target SYSTEM\n"
        "    steps init >> ";
    for (int i = 0; i < 20'000; ++i) blocks += "if x { ";
    auto cat = load_generated("blocks", blocks + "abort" + std::string(20'000, '}') + "\n}\n");
    REQUIRE(cat->diagnostics.size() == 1);
    CHECK(cat->diagnostics[0].code == "E118");
    CHECK(cat->diagnostics[0].pos.line == 4);
}

TEST_CASE("a named chain no workflow uses is checked for depth on its own") {
    std::string text = "chain c0 = abort\n";
    for (int i = 1; i <= 1200; ++i) text += fmt::format("chain c{} = c{}\n", i, i - 1);
    auto cat = load_generated("unused", text);
    auto found = with_code(*cat, "E118");
    REQUIRE(found.size() == 1);
    CHECK_THAT(found[0].message, Catch::Contains("in chain 'c1200'"));
}

// `wfrun graph` is tested here too: it draws what the linter reads.
TEST_CASE("graph draws branches, input steps, retries and clusters for dot and Mermaid") {
    const auto dir = fs::temp_directory_path() / "wfrun-graph";
    fs::create_directories(dir);
    std::ofstream(dir / "g.wf") << R"(form approval_form {
    approved: bool = false
}
chain finish = set_status(TERMINATED) >> resync
workflow g {
    description "G"
    target TERMINATE
    product_type UserGroup
    steps init
        >> store_process_subscription(TERMINATE)
        >> input(approval_form)
        >> if approved { unsync >> deprovision_user_group retry(attempts: 3) }
        >> group "Clean \"up\"" { finish }
        >> done
}
)";
    auto cat = load_catalog({(dir / "g.wf").string(), lint_dir + "/common"}, steps());
    fs::remove_all(dir);
    REQUIRE(cat->workflows.count("g") == 1);

    auto dot = render_graph(*cat, steps(), "g", graph_format::dot);
    CHECK(dot.rfind("digraph \"g\" {", 0) == 0);
    CHECK(dot.find("label=\"input(approval_form)\", shape=parallelogram") != std::string::npos);
    CHECK(dot.find("label=\"if approved\", shape=diamond") != std::string::npos);
    CHECK(dot.find("[label=\"yes\"]") != std::string::npos);
    CHECK(dot.find("[label=\"no\"]") != std::string::npos);
    CHECK(dot.find("style=\"rounded,dashed\", peripheries=2") != std::string::npos);
    CHECK(dot.find("label=\"Clean \\\"up\\\"\";") != std::string::npos);
    CHECK(dot.find("label=\"chain finish\";") != std::string::npos);
    CHECK(std::count(dot.begin(), dot.end(), '{') == std::count(dot.begin(), dot.end(), '}'));
    // The `if` and the step after its body both lead to the group's first step.
    CHECK(dot.find("n4 -> n7 [label=\"no\"];") != std::string::npos);
    CHECK(dot.find("n6 -> n7;") != std::string::npos);

    auto mermaid = render_graph(*cat, steps(), "g", graph_format::mermaid);
    CHECK(mermaid.rfind("flowchart TD\n", 0) == 0);
    CHECK(mermaid.find("n3[/\"input(approval_form)\"/]") != std::string::npos);
    CHECK(mermaid.find("n4{\"if approved\"}") != std::string::npos);
    CHECK(mermaid.find("n4 -->|yes| n5") != std::string::npos);
    CHECK(mermaid.find("n4 -->|no| n7") != std::string::npos);
    CHECK(mermaid.find("subgraph cluster_1 [\"Clean #quot;up#quot;\"]") != std::string::npos);
    CHECK(mermaid.find("class n6 retry") != std::string::npos);
    CHECK(mermaid.find("class n3 input") != std::string::npos);
    std::size_t subgraphs = 0, ends = 0;
    std::istringstream lines(mermaid);
    for (std::string l; std::getline(lines, l);) {
        if (l.find("subgraph ") != std::string::npos) ++subgraphs;
        if (l.find_first_not_of(' ') != std::string::npos &&
            l.substr(l.find_first_not_of(' ')) == "end")
            ++ends;
    }
    CHECK(subgraphs == 2);
    CHECK(ends == 2);
}
