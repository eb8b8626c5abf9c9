// End to end: build/wfrun against a temporary SQLite file and the project's catalog. Each test
// checks what a user sees (exit codes, messages, JSON) and what the database holds.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "harness.hpp"

using e2e::sandbox;
using nlohmann::json;

namespace {

json pages(std::initializer_list<json> ps) {
    return json(ps);
}

std::string terminate_input(const std::string& group) {
    return pages({{{"subscription_id", group}}, json::object()}).dump();
}

std::vector<std::string> step_names(const sandbox& s, const std::string& pid) {
    std::vector<std::string> names;
    for (const auto& r :
         s.query("SELECT name FROM process_steps WHERE pid = '" + pid + "' ORDER BY seq"))
        names.push_back(r["name"]);
    return names;
}

std::size_t count(const sandbox& s, const std::string& table) {
    return s.query("SELECT count(*) AS n FROM " + table)[0]["n"].get<std::size_t>();
}

}  // namespace

TEST_CASE("products --json lists the catalog's products with their ids") {
    sandbox s;
    auto r = s.run({"products", "--json"});
    REQUIRE(r.code == 0);
    auto products = r.json();
    REQUIRE(products.is_array());
    auto it = std::find_if(products.begin(), products.end(),
                           [](const json& p) { return p["name"] == "User Group"; });
    REQUIRE(it != products.end());
    CHECK((*it)["product_type"] == "UserGroup");
    CHECK((*it)["tag"] == "GROUP");
    CHECK((*it)["description"] == "user group administration");
    CHECK((*it)["status"] == "active");
    CHECK((*it)["product_id"].get<std::string>().size() == 36);
    // The ids stay the same when the store is opened again.
    CHECK(s.run({"products", "--json"}).json() == products);
}

TEST_CASE("create_user_group makes an active, provisioned group") {
    sandbox s;
    auto product = s.product_id("User Group");
    auto r = s.run({"start", "create_user_group", "--json", "--input",
                    pages({{{"product", product}}, {{"group_name", "Group One"}}}).dump()});
    REQUIRE(r.code == 0);
    auto pid = r.json()["id"].get<std::string>();
    CHECK(r.json()["status"] == "completed");
    CHECK(step_names(s, pid) ==
          std::vector<std::string>{"Start", "Create subscription",
                                   "Create Process Subscription relation",
                                   "Initialize subscription", "Provision user group",
                                   "Set subscription to 'active'", "Unlock subscription", "Done"});
    auto show = s.run({"show", pid, "--json"}).json();
    auto id = show["subscriptions"][0]["subscription_id"].get<std::string>();
    auto sub = s.run({"subscription", id, "--json"}).json();
    CHECK(sub["description"] == "User Group Group One");
    CHECK(sub["status"] == "active");
    CHECK(sub["insync"] == true);
    CHECK(!sub["start_date"].is_null());
    CHECK(sub["product"]["name"] == "User Group");
    CHECK(sub["user_group"]["group_name"] == "Group One");
    auto group_id = sub["user_group"]["group_id"].get<std::int64_t>();
    CHECK(group_id >= 0);
    auto provisioned = s.query(
        "SELECT group_id, group_name FROM provisioned_groups WHERE subscription_id = '" + id + "'");
    REQUIRE(provisioned.size() == 1);
    CHECK(provisioned[0]["group_id"] == group_id);
    // A second group of the same name is another group, with an id of its own.
    auto again = s.create_group("Group One");
    CHECK(s.run({"subscription", again, "--json"}).json()["user_group"]["group_id"] != group_id);
}

TEST_CASE("renaming one of two groups of the same name renames that one only") {
    sandbox s;
    auto first = s.create_group("Twins");
    auto second = s.create_group("Twins");
    auto r = s.run({"start", "modify_user_group", "--input",
                    pages({{{"subscription_id", first}}, {{"group_name", "Renamed"}}}).dump(),
                    "--json"});
    REQUIRE(r.code == 0);
    CHECK(s.run({"subscription", first, "--json"}).json()["user_group"]["group_name"] == "Renamed");
    CHECK(s.run({"subscription", second, "--json"}).json()["user_group"]["group_name"] == "Twins");
    auto rows = s.query("SELECT subscription_id, group_name FROM provisioned_groups ORDER BY 1");
    REQUIRE(rows.size() == 2);
    for (const auto& row : rows)
        CHECK(row["group_name"] == (row["subscription_id"] == first ? "Renamed" : "Twins"));
}

TEST_CASE("terminate_user_group: the form, the steps, the terminated subscription") {
    sandbox s;
    auto group = s.create_group("Group One");

    auto form = s.run(
        {"form", "terminate_user_group", "--input", pages({{{"subscription_id", group}}}).dump()});
    REQUIRE(form.code == 3);
    auto schema = form.json()["form"];
    CHECK(schema["properties"]["are_you_sure"]["default"] ==
          "Are you sure you want to remove User Group Group One?");
    CHECK(schema["properties"]["are_you_sure"]["format"] == "label");
    CHECK(schema["additionalProperties"] == false);

    auto first = s.run({"form", "terminate_user_group"});
    REQUIRE(first.code == 3);
    CHECK(first.json()["form"]["properties"]["subscription_id"]["format"] == "uuid");

    auto r = s.run({"start", "terminate_user_group", "--input", terminate_input(group)});
    REQUIRE(r.code == 0);
    CHECK(r.out.find("Deprovision user group") != std::string::npos);
    auto pid =
        s.query("SELECT pid FROM processes WHERE workflow_name = 'terminate_user_group'")[0]["pid"]
            .get<std::string>();
    CHECK(step_names(s, pid) ==
          std::vector<std::string>{"Start", "Create Process Subscription relation",
                                   "Lock subscription", "Deprovision user group",
                                   "Set subscription to 'terminated'", "Unlock subscription",
                                   "Done"});
    auto statuses =
        s.query("SELECT status FROM process_steps WHERE pid = '" + pid + "' ORDER BY seq");
    CHECK(statuses.back()["status"] == "complete");
    auto sub =
        s.query("SELECT status, insync, end_date FROM subscriptions WHERE subscription_id = '" +
                group + "'")[0];
    CHECK(sub["status"] == "terminated");
    CHECK(sub["insync"] == 1);
    CHECK(!sub["end_date"].is_null());
    CHECK(s.query("SELECT * FROM provisioned_groups WHERE subscription_id = '" + group + "'")
              .empty());
    auto relation =
        s.query("SELECT workflow_target FROM processes_subscriptions WHERE pid = '" + pid + "'");
    REQUIRE(relation.size() == 1);
    CHECK(relation[0]["workflow_target"] == "TERMINATE");

    auto show = s.run({"show", pid, "--json"}).json();
    CHECK(show["last_status"] == "completed");
    CHECK(show["last_step"] == "Done");
    CHECK(show["steps"].size() == 7);
    CHECK(show["steps"][2]["state_delta"]["subscription"]["insync"] == false);
    CHECK(show["current_state"]["subscription"]["status"] == "terminated");
    CHECK(show["current_state"]["are_you_sure"] ==
          "Are you sure you want to remove User Group Group One?");
    CHECK(show["current_state"].contains("__old_subscriptions__"));
}

TEST_CASE("terminating a terminated group is refused and writes nothing") {
    sandbox s;
    auto group = s.create_group("Group One");
    REQUIRE(s.run({"start", "terminate_user_group", "--input", terminate_input(group)}).code == 0);
    auto processes = count(s, "processes");
    auto r = s.run({"start", "terminate_user_group", "--input", terminate_input(group)});
    CHECK(r.code == 2);
    CHECK(r.err.find("This workflow cannot be started: This subscription can not be modified "
                     "because of the status it has") != std::string::npos);
    CHECK(count(s, "processes") == processes);
}

TEST_CASE("a failed step rolls back, leaves the group locked, and a new terminate is refused") {
    sandbox s;
    auto group = s.create_group("Group One");
    auto r = s.run({"start", "terminate_user_group", "--json", "--input", terminate_input(group)},
                   "", {"WFRUN_FAULT=deprovision_user_group=fail"});
    CHECK(r.code == 1);
    CHECK(r.json()["status"] == "failed");
    auto pid = r.json()["id"].get<std::string>();
    auto last = s.query("SELECT name, status, state FROM process_steps WHERE pid = '" + pid +
                        "' ORDER BY seq DESC LIMIT 1")[0];
    CHECK(last["name"] == "Deprovision user group");
    CHECK(last["status"] == "failed");
    CHECK(json::parse(last["state"].get<std::string>())["class"] == "FaultInjected");
    CHECK(s.query("SELECT * FROM provisioned_groups WHERE subscription_id = '" + group + "'")
              .size() == 1);
    auto sub = s.query("SELECT status, insync FROM subscriptions WHERE subscription_id = '" +
                       group + "'")[0];
    CHECK(sub["status"] == "active");
    CHECK(sub["insync"] == 0);
    CHECK(s.run({"show", pid, "--json"}).json()["failed_reason"] ==
          "Injected failure in step 'deprovision_user_group'");

    auto again = s.run({"start", "terminate_user_group", "--input", terminate_input(group)});
    CHECK(again.code == 2);
    CHECK(again.err.find("This workflow cannot be started: Subscription already has a running "
                         "process or task") != std::string::npos);

    // set-in-sync refuses while the failed process still holds the subscription.
    auto sync = s.run({"set-in-sync", group});
    CHECK(sync.code == 2);
    CHECK(sync.err.find(pid) != std::string::npos);
    REQUIRE(s.run({"abort", pid}).code == 0);
    CHECK(s.query("SELECT name FROM process_steps WHERE pid = '" + pid +
                  "' ORDER BY seq DESC LIMIT 1")[0]["name"] == "User Aborted");
    CHECK(s.run({"set-in-sync", group}).code == 0);
    CHECK(s.run({"start", "terminate_user_group", "--input", terminate_input(group)}).code == 0);
}

TEST_CASE("a crash inside a step leaves neither its writes nor its row") {
    sandbox s;
    auto group = s.create_group("Group One");
    auto r = s.run({"start", "terminate_user_group", "--input", terminate_input(group)}, "",
                   {"WFRUN_FAULT=deprovision_user_group=crash"});
    CHECK(r.code == 128 + 9);
    CHECK(s.query("PRAGMA integrity_check")[0]["integrity_check"] == "ok");
    auto rows = s.query("SELECT name FROM process_steps WHERE name = 'Deprovision user group'");
    CHECK(rows.empty());
    CHECK(s.query("SELECT * FROM provisioned_groups WHERE subscription_id = '" + group + "'")
              .size() == 1);
    CHECK(s.query("SELECT insync FROM subscriptions WHERE subscription_id = '" + group +
                  "'")[0]["insync"] == 0);
}

TEST_CASE("bad input: each error is clear and nothing is written") {
    sandbox s;
    auto product = s.product_id("User Group");
    SECTION("a missing field is named") {
        auto r = s.run({"start", "create_user_group", "--input",
                        pages({{{"product", product}}, json::object()}).dump()});
        CHECK(r.code == 2);
        CHECK(r.err.find("group_name: Field required") != std::string::npos);
    }
    SECTION("an unknown field is rejected") {
        auto r = s.run(
            {"start", "create_user_group", "--input",
             pages({{{"product", product}}, {{"group_name", "x"}, {"colour", "red"}}}).dump()});
        CHECK(r.code == 2);
        CHECK(r.err.find("colour: Extra inputs are not permitted") != std::string::npos);
    }
    SECTION("invalid JSON") {
        auto r = s.run({"start", "create_user_group", "--input", "[{"});
        CHECK(r.code == 2);
        CHECK(r.err.find("invalid JSON") != std::string::npos);
    }
    SECTION("an unknown workflow, with a suggestion") {
        auto r = s.run({"start", "terminate_user_grop"});
        CHECK(r.code == 2);
        CHECK(r.err.find("did you mean 'terminate_user_group'?") != std::string::npos);
    }
    SECTION("an unknown subscription") {
        auto r = s.run({"start", "terminate_user_group", "--input",
                        terminate_input("00000000-0000-4000-8000-000000000000")});
        CHECK(r.code == 2);
        CHECK(r.err.find("This workflow cannot be started: Subscription not found") !=
              std::string::npos);
    }
    SECTION("fewer pages than the form has gives the next page") {
        auto r = s.run(
            {"start", "create_user_group", "--input", pages({{{"product", product}}}).dump()});
        CHECK(r.code == 3);
        CHECK(r.json()["form"]["title"] == "User Group");
        CHECK(r.json()["form"]["required"] == json::array({"group_name"}));
    }
    CHECK(count(s, "processes") == 0);
    CHECK(count(s, "subscriptions") == 0);
}

TEST_CASE("interactive start: Cancel starts nothing, Submit runs") {
    sandbox s;
    auto group = s.create_group("Group One");
    auto processes = count(s, "processes");
    auto cancel = s.run({"start", "terminate_user_group", "--interactive"}, group + "\n\n\nc\n");
    CHECK(cancel.code == 0);
    CHECK(cancel.out.find("Are you sure you want to remove User Group Group One?") !=
          std::string::npos);
    CHECK(cancel.out.find("Cancelled") != std::string::npos);
    CHECK(count(s, "processes") == processes);

    auto submit = s.run({"start", "terminate_user_group", "--interactive"}, group + "\n\n\n\n");
    CHECK(submit.code == 0);
    CHECK(submit.out.find("completed") != std::string::npos);

    auto product_choice =
        s.run({"start", "create_user_group", "--interactive"}, "1\n\nFinance\n\n");
    CHECK(product_choice.code == 0);
    CHECK(s.query("SELECT * FROM subscriptions WHERE description = 'User Group Finance'").size() ==
          1);
}

TEST_CASE(
    "a catalog with a syntax error: lint names file and position while other commands exit 2") {
    sandbox s;
    auto dir = s.dir() + "/broken";
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/bad.wf")
        << "workflow w {\n    description \"x\"\n    steps init >> >> done\n}\n";
    auto lint = s.run({"lint", dir});
    CHECK(lint.code == 1);
    CHECK(lint.out.find(dir + "/bad.wf:3:") != std::string::npos);
    CHECK(lint.out.find("error[E001]") != std::string::npos);
    auto products = s.run({"--workflows", dir, "products"});
    CHECK(products.code == 2);
    CHECK(products.err.find("bad.wf:3:") != std::string::npos);
}

TEST_CASE("the tutorial catalog lints clean") {
    sandbox s;
    auto r = s.run({"lint"});
    CHECK(r.code == 0);
    CHECK(r.out.empty());
}

TEST_CASE("listings: ps, subscriptions, workflows") {
    sandbox s;
    auto group = s.create_group("Group One");
    auto ps = s.run({"ps", "--json"}).json();
    REQUIRE(ps.size() == 1);
    CHECK(ps[0]["workflow_name"] == "create_user_group");
    CHECK(ps[0]["last_status"] == "completed");
    CHECK(s.run({"ps", "--status", "failed", "--json"}).json().empty());
    auto subs = s.run({"subscriptions", "--type", "UserGroup", "--json"}).json();
    REQUIRE(subs.size() == 1);
    CHECK(subs[0]["subscription_id"] == group);
    CHECK(subs[0]["product"]["product_type"] == "UserGroup");
    CHECK(s.run({"subscriptions", "--status", "terminated", "--json"}).json().empty());
    auto wfs = s.run({"workflows", group, "--json"}).json();
    auto terminate = std::find_if(
        wfs.begin(), wfs.end(), [](const json& w) { return w["name"] == "terminate_user_group"; });
    REQUIRE(terminate != wfs.end());
    CHECK((*terminate)["allowed"] == true);
}

namespace {

// A catalog folder holding one generated file, deep.wf.
std::string catalog_of(const sandbox& s, const std::string& name, const std::string& text) {
    auto dir = s.dir() + "/" + name;
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/deep.wf") << text;
    return dir;
}

std::string system_workflow(const std::string& name, const std::string& steps) {
    return "workflow " + name +
           " {\n    description \"Deep\"\n    target SYSTEM\n    steps init >> " + steps +
           " >> done\n}\n";
}

}  // namespace

TEST_CASE("chains 30000 deep and blocks 20000 deep: lint reports E118, no command crashes") {
    sandbox s;
    std::string chains = "chain c0 = abort\n";
    for (int i = 1; i < 30'000; ++i)
        chains += "chain c" + std::to_string(i) + " = c" + std::to_string(i - 1) + "\n";
    std::string chained_blocks = "chain b0 = abort\n";
    for (int i = 1; i < 20'000; ++i)
        chained_blocks +=
            "chain b" + std::to_string(i) + " = if x { b" + std::to_string(i - 1) + " }\n";
    std::string blocks;
    for (int i = 0; i < 20'000; ++i) blocks += i % 2 ? "group \"g\" { " : "if x { ";
    blocks += "abort" + std::string(20'000, '}');

    const std::vector<std::string> catalogs = {
        catalog_of(s, "chains", chains + system_workflow("deep", "c29999")),
        catalog_of(s, "chained_blocks", chained_blocks + system_workflow("deep", "b19999")),
        catalog_of(s, "blocks", system_workflow("deep", blocks)),
    };
    for (const auto& dir : catalogs) {
        INFO(dir);
        auto lint = s.run({"lint", dir});
        CHECK(lint.code == 1);
        CHECK(lint.out.find(dir + "/deep.wf:") != std::string::npos);
        CHECK(lint.out.find("error[E118]: nesting too deep") != std::string::npos);
        auto json_lint = s.run({"lint", "--json", dir});
        CHECK(json_lint.code == 1);
        CHECK(json_lint.json().at(0).at("code") == "E118");
        // Every command that loads the catalog refuses it cleanly, naming the problem.
        for (const auto& command :
             std::vector<std::vector<std::string>>{{"ps"},
                                                   {"graph", "deep"},
                                                   {"start", "deep", "--input", "[]"},
                                                   {"resume", "--due"}}) {
            std::vector<std::string> args{"--workflows", dir};
            args.insert(args.end(), command.begin(), command.end());
            auto r = s.run(args);
            INFO(command.front() << ": " << r.err);
            CHECK(r.code == 2);
            CHECK(r.err.find("error[E118]") != std::string::npos);
        }
        auto fmt = s.run({"fmt", "--check", dir});
        CHECK(fmt.code <= 2);
    }
    // Nothing was started: no orphan is left for a later command.
    auto ps = s.run({"ps", "--json"});
    CHECK(ps.code == 0);
    CHECK(ps.json().empty());
}

TEST_CASE("numbers out of range: lint says where, WFRUN_FAULT names the item") {
    sandbox s;
    auto dir =
        catalog_of(s, "ranges", system_workflow("ranges", "abort retry(attempts: 2147483648)"));
    // A literal past 64 bits stops its own file where it is written.
    std::ofstream(dir + "/huge.wf")
        << system_workflow("huge", "abort timeout(99999999999999999999ms)");
    auto lint = s.run({"lint", dir});
    CHECK(lint.code == 1);
    CHECK(lint.out.find(dir + "/deep.wf:4:41: error[E119]: 'attempts' is 2147483648, out of "
                              "range: it takes 1 to 1000") != std::string::npos);
    CHECK(lint.out.find(dir + "/huge.wf:4:33: error[E119]: duration out of range") !=
          std::string::npos);

    auto group = s.create_group("Group One");
    for (const std::string fault :
         {"init=delay:99999999999999999999ms", "init=delay:9223372036854775807h",
          "init=fail*99999999999999999999"}) {
        auto r = s.run({"start", "terminate_user_group", "--input", terminate_input(group)}, "",
                       {"WFRUN_FAULT=" + fault});
        INFO(r.err);
        CHECK(r.code == 2);
        CHECK(r.err.find("WFRUN_FAULT: fault '" + fault + "': ") != std::string::npos);
        CHECK(r.err.find("stoll") == std::string::npos);
    }
    CHECK(count(s, "processes") == 1);  // the group's creation only
}

TEST_CASE("JSON input nested too deep is refused, naming the input and the field") {
    sandbox s;
    const std::string deep = "[{\"product\": \"x\", \"tags\": " + std::string(100'000, '[') + "}]";
    auto r = s.run({"start", "create_user_group", "--input", "-"}, deep);
    CHECK(r.code == 2);
    CHECK(r.err.find("--input: JSON nested more than 64 levels deep (in field 'tags')") !=
          std::string::npos);
    CHECK(count(s, "processes") == 0);
}
