// End to end: `wfrun start WORKFLOW --batch FILE` starts one process per JSON Lines line through
// the same validation, admission checks and engine as `wfrun start`, and sums up the outcome.
// (What a crash in the middle of a batch leaves is in test_durability.cpp.)
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <thread>

#include "harness.hpp"

using e2e::sandbox;
using nlohmann::json;

namespace {

// Writes `lines` to FILE in the sandbox and returns FILE.
std::string write_lines(const sandbox& s, const std::string& file,
                        const std::vector<std::string>& lines) {
    std::ofstream out(s.dir() + "/" + file);
    for (const auto& l : lines) out << l << '\n';
    return file;
}

std::string create_line(const std::string& product, const std::string& name) {
    return json::array({{{"product", product}}, {{"group_name", name}}}).dump();
}

std::string terminate_line(const std::string& group) {
    return json::array({{{"subscription_id", group}}, json::object()}).dump();
}

std::size_t count(const sandbox& s, const std::string& sql) {
    return s.query("SELECT count(*) AS n FROM " + sql)[0]["n"].get<std::size_t>();
}

std::string status_of(const sandbox& s, const std::string& group) {
    return s.query("SELECT status FROM subscriptions WHERE subscription_id = '" + group +
                   "'")[0]["status"];
}

}  // namespace

TEST_CASE("start --batch: one active group per line, blank lines skipped, a summary") {
    sandbox s;
    auto product = s.product_id("User Group");
    std::vector<std::string> lines;
    for (int i = 1; i <= 20; ++i) {
        lines.push_back(create_line(product, "Group " + std::to_string(i)));
        if (i == 10) lines.push_back("   ");
    }
    auto file = write_lines(s, "groups.jsonl", lines);

    std::vector<std::string> args{"start", "create_user_group", "--batch", file};
    SECTION("in groups of 8 processes per commit") {
        args.insert(args.end(), {"--group-size", "8"});
    }
    SECTION("with a commit per step") {
        args.push_back("--no-group-commit");
    }
    auto r = s.run(args);
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "20 processes: 20 completed\n");
    CHECK(r.err.empty());  // no progress line when standard error is not a terminal

    auto groups =
        s.run({"subscriptions", "--type", "UserGroup", "--status", "active", "--json"}).json();
    REQUIRE(groups.size() == 20);
    CHECK(count(s, "subscriptions WHERE insync = 1") == 20);
    CHECK(count(s, "processes WHERE last_status = 'completed'") == 20);
    CHECK(count(s, "processes") == 20);
}

TEST_CASE("start --batch terminates the groups listed by subscriptions --json") {
    sandbox s;
    auto product = s.product_id("User Group");
    auto file = write_lines(s, "create.jsonl",
                            {create_line(product, "Sales"), create_line(product, "Finance"),
                             create_line(product, "Legal")});
    REQUIRE(s.run({"start", "create_user_group", "--batch", file}).code == 0);

    std::vector<std::string> lines;
    for (const auto& sub :
         s.run({"subscriptions", "--type", "UserGroup", "--status", "active", "--json"}).json())
        lines.push_back(terminate_line(sub["subscription_id"]));
    REQUIRE(lines.size() == 3);
    auto r = s.run(
        {"start", "terminate_user_group", "--batch", write_lines(s, "terminate.jsonl", lines)});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "3 processes: 3 completed\n");
    CHECK(count(s, "subscriptions WHERE status = 'terminated' AND insync = 1") == 3);
    CHECK(count(s,
                "processes WHERE workflow_name = 'terminate_user_group' AND last_status = "
                "'completed'") == 3);
}

TEST_CASE("start --batch reports every line that did not complete, and the others still run") {
    sandbox s;
    auto kept = s.create_group("Kept");
    auto gone = s.create_group("Gone");
    auto also = s.create_group("Also");
    REQUIRE(s.run({"start", "terminate_user_group", "--input", terminate_line(gone)}).code == 0);

    auto file =
        write_lines(s, "mixed.jsonl",
                    {terminate_line(kept),
                     R"([{"subscription_id": )",  // cut off
                     "", json::array({json::object(), json::object()}).dump(), terminate_line(gone),
                     json{{"subscription_id", also}}.dump()});  // one page, the form asks for more

    SECTION("as text") {
        auto r = s.run({"start", "terminate_user_group", "--batch", file});
        CHECK(r.code == 1);
        INFO(r.out);
        CHECK(r.out.rfind("5 processes: 1 completed, 1 incomplete, 2 invalid, 1 refused\n", 0) ==
              0);
        CHECK(r.out.find("\nline 2: invalid: invalid JSON: ") != std::string::npos);
        CHECK(r.out.find("\nline 4: invalid: subscription_id: Field required\n") !=
              std::string::npos);
        CHECK(r.out.find("\nline 5: refused: This workflow cannot be started: ") !=
              std::string::npos);
        CHECK(r.out.find("\nline 6: incomplete: ") != std::string::npos);
        CHECK(r.out.find("line 1:") == std::string::npos);
        CHECK(r.out.find("line 3:") == std::string::npos);  // blank
    }
    SECTION("as JSON") {
        auto r = s.run({"start", "terminate_user_group", "--batch", file, "--json"});
        CHECK(r.code == 1);
        auto out = r.json();
        CHECK(out["total"] == 5);
        CHECK(out["by_status"] ==
              json{{"completed", 1}, {"incomplete", 1}, {"invalid", 2}, {"refused", 1}});
        auto items = out["not_completed"];
        REQUIRE(items.size() == 4);
        std::vector<int> numbers;
        for (const auto& item : items) {
            numbers.push_back(item["line"]);
            CHECK(item["process_id"].is_null());  // none of them got as far as a process
            CHECK(item["message"].get<std::string>() != "");
            CHECK(item.size() == 4);
        }
        CHECK(numbers == std::vector<int>{2, 4, 5, 6});
        CHECK(items[1] == json{{"line", 4},
                               {"status", "invalid"},
                               {"process_id", nullptr},
                               {"message", "subscription_id: Field required"}});
    }
    // The valid line ran, the others wrote nothing.
    CHECK(status_of(s, kept) == "terminated");
    CHECK(status_of(s, also) == "active");
    CHECK(count(s, "processes WHERE workflow_name = 'terminate_user_group'") == 2);
}

TEST_CASE("start --batch: a process that fails is reported with its id and reason") {
    sandbox s;
    auto a = s.create_group("A");
    auto b = s.create_group("B");
    auto file = write_lines(s, "t.jsonl", {terminate_line(a), terminate_line(b)});
    auto r = s.run({"start", "terminate_user_group", "--batch", file}, "",
                   {"WFRUN_FAULT=deprovision_user_group=fail*1"});
    CHECK(r.code == 1);
    auto failed = s.query("SELECT pid FROM processes WHERE last_status = 'failed'");
    REQUIRE(failed.size() == 1);
    CHECK(r.out ==
          "2 processes: 1 completed, 1 failed\nline 1: failed: Injected failure in step "
          "'deprovision_user_group' (process " +
              failed[0]["pid"].get<std::string>() + ")\n");
    CHECK(status_of(s, b) == "terminated");
}

TEST_CASE("start --batch - reads the lines from standard input") {
    sandbox s;
    auto product = s.product_id("User Group");
    auto r = s.run({"start", "create_user_group", "--batch", "-", "--json"},
                   create_line(product, "One") + "\n" + create_line(product, "Two") + "\n");
    CHECK(r.code == 0);
    CHECK(r.json() ==
          json{{"total", 2}, {"by_status", {{"completed", 2}}}, {"not_completed", json::array()}});
    CHECK(count(s, "subscriptions WHERE status = 'active'") == 2);

    auto empty = s.run({"start", "create_user_group", "--batch", "-"}, "\n\n");
    CHECK(empty.code == 0);
    CHECK(empty.out == "0 processes\n");
}

TEST_CASE("start --batch: bad usage exits 2 and starts nothing") {
    sandbox s;
    auto product = s.product_id("User Group");
    auto file = write_lines(s, "one.jsonl", {create_line(product, "One")});

    auto unknown = s.run({"start", "create_user_grop", "--batch", file});
    CHECK(unknown.code == 2);
    CHECK(unknown.err.find(
              "unknown workflow 'create_user_grop'; did you mean 'create_user_group'?") !=
          std::string::npos);

    auto missing = s.run({"start", "create_user_group", "--batch", "missing.jsonl"});
    CHECK(missing.code == 2);
    CHECK(missing.err == "cannot read missing.jsonl: No such file or directory\n");

    auto folder = s.run({"start", "create_user_group", "--batch", "."});
    CHECK(folder.code == 2);
    CHECK(folder.err == "cannot read .: it is a folder\n");

    CHECK(s.run({"start", "create_user_group", "--batch", file, "--input", "[]"}).code == 2);
    CHECK(s.run({"start", "create_user_group", "--batch", file, "--interactive"}).code == 2);
    CHECK(s.run({"start", "create_user_group", "--group-size", "4"}).code == 2);
    CHECK(s.run({"start", "create_user_group", "--batch", file, "--group-size", "0"}).code == 2);
    CHECK(s.run({"start", "create_user_group", "--batch", file, "--no-group-commit", "--group-size",
                 "4"})
              .code == 2);

    REQUIRE(s.run({"engine", "pause"}).code == 0);
    auto paused = s.run({"start", "create_user_group", "--batch", file});
    CHECK(paused.code == 2);
    CHECK(paused.err == "Engine is locked cannot accept changes on processes at this time\n");

    CHECK(count(s, "processes") == 0);
}

TEST_CASE("engine pause during a batch is heard at the next group, not at the batch's end") {
    sandbox s;
    auto product = s.product_id("User Group");
    std::vector<std::string> lines;
    const int total = 2000;
    for (int i = 1; i <= total; ++i) lines.push_back(create_line(product, "G" + std::to_string(i)));
    auto file = write_lines(s, "many.jsonl", lines);

    e2e::result batch;
    // Each start takes a few milliseconds longer, so that the batch runs for many seconds.
    std::thread runner([&] {
        batch = s.run({"start", "create_user_group", "--batch", file}, "",
                      {"WFRUN_FAULT=init=delay:5ms"});
    });
    // Once the batch has committed something, pause the engine.
    for (int i = 0; i < 1200 && count(s, "processes") == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto pause = s.run({"engine", "pause"});
    auto started_at_pause = count(s, "processes");
    runner.join();
    INFO(pause.err);
    CHECK(pause.code == 0);
    CHECK(pause.err.find("database is locked") == std::string::npos);
    // The batch stopped starting processes soon after the pause: most lines were refused.
    auto started = count(s, "processes");
    CHECK(started < static_cast<std::size_t>(total));
    CHECK(started <= started_at_pause + 200);
    CHECK(batch.code != 0);
}
