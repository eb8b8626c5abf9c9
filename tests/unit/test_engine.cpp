// The engine through its public API, on a real SQLite file: the start protocol, the step log,
// one transaction per step, conditions and input steps, and the catalog passes.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <limits>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/service/runtime.hpp"
#include "interpreter/util/json_input.hpp"
#include "stdlib/builtin_steps.hpp"
#include "tutorial_steps.hpp"

using namespace wfrun;

namespace {

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "wfrun-engine-XXXXXX").string();
        path = mkdtemp(tmpl.data());
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
    std::string file(const std::string& name, const std::string& text = "") const {
        auto p = path / name;
        if (!text.empty()) std::ofstream(p) << text;
        return p.string();
    }
};

// A registry and a service runtime (catalog, store, engine) on a temporary file, wired as
// wfrun wires them; `cat`, `db` and `eng` name the runtime's parts.
struct fixture {
    temp_dir dir;
    registry steps;
    std::unique_ptr<service::runtime> rt;
    const catalog* cat = nullptr;
    store* db = nullptr;
    engine* eng = nullptr;

    explicit fixture(std::vector<std::string> paths = {WFRUN_SOURCE_DIR "/workflows"},
                     void (*extra)(registry&) = nullptr, engine_options options = {}) {
        register_stdlib(steps);
        tutorial::register_steps(steps);
        if (extra) extra(steps);
        service::runtime_options o;
        o.database = dir.file("wfrun.db");
        o.catalog_paths = std::move(paths);
        o.engine = std::move(options);
        o.on_catalog = [](const catalog& c) {
            for (const auto& d : c.diagnostics) UNSCOPED_INFO(format_diagnostic(d));
        };
        rt = std::make_unique<service::runtime>(steps, std::move(o));
        cat = &rt->catalog_ref();
        db = &rt->storage();
        eng = &rt->engine_ref();
    }

    process_row start(const std::string& workflow, const json& pages) {
        const auto* plan = cat->plan(workflow);
        REQUIRE(plan);
        auto outcome = eng->post_form(*plan, pages);
        REQUIRE(outcome.k == form_outcome::kind::complete);
        return eng->start(*plan, outcome.state);
    }

    std::string product(const std::string& name) {
        for (const auto& p : db->products())
            if (p.name == name) return p.product_id;
        FAIL("no product " << name);
        return {};
    }

    std::string create_group(const std::string& name) {
        auto p = start("create_user_group",
                       json::array({{{"product", product("User Group")}}, {{"group_name", name}}}));
        REQUIRE(p.last_status == process_status::completed);
        return db->process_subscriptions(p.process_id).at(0);
    }

    std::vector<std::string> rows(const std::string& pid, bool with_status = false) {
        std::vector<std::string> out;
        for (const auto& s : db->steps(pid))
            out.push_back(with_status ? fmt::format("{} {}", s.name, s.status) : s.name);
        return out;
    }
};

}  // namespace

TEST_CASE("the tutorial catalog resolves into products and plans") {
    fixture f;
    const auto* plan = f.cat->plan("terminate_user_group");
    REQUIRE(plan);
    CHECK(plan->def.description == "Terminate user group");
    CHECK(plan->def.target == workflow_target::terminate);
    CHECK(plan->def.product_type == "UserGroup");
    std::vector<std::string> names;
    for (const auto& s : plan->steps) names.push_back(s.display);
    CHECK(names == std::vector<std::string>{"Start", "Create Process Subscription relation",
                                            "Lock subscription", "Deprovision user group",
                                            "Set subscription to 'terminated'",
                                            "Unlock subscription", "Done"});
    CHECK(plan->steps[1].args == json{{"target", "TERMINATE"}});
    CHECK(plan->definition.size() == 16);
    const auto* block = f.cat->model.block("UserGroupBlock");
    REQUIRE(block);
    CHECK(block->fields[0].required_from == "provisioning");
    CHECK(block->fields[1].required_from == "active");
}

TEST_CASE("the start protocol: pages, schemas, refusals") {
    fixture f;
    const auto* create = f.cat->plan("create_user_group");
    auto first = f.eng->post_form(*create, json::array());
    REQUIRE(first.k == form_outcome::kind::not_complete);
    CHECK(first.form["properties"]["product"]["format"] == "productId");
    auto second = f.eng->post_form(*create, json::array({{{"product", f.product("User Group")}}}));
    REQUIRE(second.k == form_outcome::kind::not_complete);
    CHECK(second.form["title"] == "User Group");
    CHECK(second.meta == json{{"hasNext", false}});
    auto bad = f.eng->post_form(*create, json::array({{{"product", "nope"}}}));
    CHECK(bad.k == form_outcome::kind::invalid);
    auto overflow = f.eng->post_form(*create, json::array({{{"product", f.product("User Group")}},
                                                           {{"group_name", "x"}},
                                                           json::object()}));
    CHECK(overflow.k == form_outcome::kind::invalid);

    auto group = f.create_group("Group One");
    const auto* terminate = f.cat->plan("terminate_user_group");
    auto label = f.eng->post_form(*terminate, json::array({{{"subscription_id", group}}}));
    REQUIRE(label.k == form_outcome::kind::not_complete);
    CHECK(label.form["properties"]["are_you_sure"]["default"] ==
          "Are you sure you want to remove User Group Group One?");
    auto done = f.eng->post_form(
        *terminate, json::array({{{"subscription_id", group}}, {{"are_you_sure", "ignored"}}}));
    REQUIRE(done.k == form_outcome::kind::complete);
    CHECK(done.state["are_you_sure"] == "Are you sure you want to remove User Group Group One?");
    CHECK(done.state["subscription_id"] == group);
    CHECK(done.state.contains("customer_id"));
    CHECK(done.state["product"] == f.product("User Group"));
}

TEST_CASE("a completed terminate: rows, subscription, state") {
    fixture f;
    auto group = f.create_group("Group One");
    auto p = f.start("terminate_user_group",
                     json::array({{{"subscription_id", group}}, json::object()}));
    CHECK(p.last_status == process_status::completed);
    CHECK(f.rows(p.process_id, true) ==
          std::vector<std::string>{"Start success", "Create Process Subscription relation success",
                                   "Lock subscription success", "Deprovision user group success",
                                   "Set subscription to 'terminated' success",
                                   "Unlock subscription success", "Done complete"});
    auto sub = f.db->load_subscription(group);
    CHECK((*sub)["status"] == "terminated");
    CHECK((*sub)["insync"] == true);
    CHECK(!(*sub)["end_date"].is_null());
    auto steps = f.db->steps(p.process_id);
    const auto& lock = steps[2].state;
    CHECK(lock["subscription"]["insync"] == false);
    CHECK(lock["__old_subscriptions__"][group]["insync"] == true);
    CHECK(steps.back().state["workflow_target"] == "TERMINATE");
    auto stored = f.db->process(p.process_id);
    CHECK(stored->last_status == process_status::completed);
    CHECK(stored->last_step == "Done");
    CHECK(stored->definition == f.cat->plan("terminate_user_group")->definition);

    auto again = f.eng->post_form(*f.cat->plan("terminate_user_group"),
                                  json::array({{{"subscription_id", group}}}));
    CHECK(again.k == form_outcome::kind::refused);
    CHECK(again.message ==
          "This workflow cannot be started: This subscription can not be modified because of the "
          "status it has");
}

namespace {
// A step that writes to its own table and then fails: the write must not survive.
void register_half_step(registry& r) {
    r.add_schema("CREATE TABLE IF NOT EXISTS half_done (note TEXT)");
    r.add({.name = "write_then_fail", .display_name = "Write then fail"},
          [](step_context& ctx) -> json {
              ctx.db().exec("INSERT INTO half_done (note) VALUES (?)", {"written"});
              throw value_error("the step failed after writing");
          });
    r.add({.name = "remember",
           .display_name = "Remember",
           .params = {{"value", value_type::string}},
           .writes = {{"remembered", value_type::string}}},
          [](step_context& ctx) -> json {
              return {{"remembered", ctx.param("value")}};
          });
}
}  // namespace

TEST_CASE("one transaction per step: a failing step's writes roll back") {
    temp_dir src;
    src.file("w.wf", R"(
workflow half {
    description "Half"
    target SYSTEM
    steps init >> remember("kept") >> write_then_fail >> done
}
)");
    fixture f({src.path.string()}, register_half_step);
    auto p = f.start("half", json::array({json::object()}));
    CHECK(p.last_status == process_status::failed);
    CHECK(p.failed_reason == "the step failed after writing");
    CHECK(f.db->sql().query("SELECT * FROM half_done").empty());
    auto steps = f.db->steps(p.process_id);
    REQUIRE(steps.size() == 3);
    CHECK(steps[1].state["remembered"] == "kept");
    CHECK(steps[2].status == step_status::failed);
    CHECK(steps[2].state ==
          json{{"class", "ValueError"}, {"error", "the step failed after writing"}});
    auto r = f.eng->recover(*f.db->process(p.process_id));
    CHECK(r.next == 2);
    CHECK(r.state["remembered"] == "kept");
}

TEST_CASE("conditions skip steps, and an input step suspends") {
    temp_dir src;
    src.file("w.wf", R"(
form gate_form {
    flag: bool = false
}
form approval_form {
    approved: bool
}
workflow gated {
    description "Gated"
    target SYSTEM
    form gate_form
    steps init
        >> if flag { remember("flag was set") }
        >> if not flag { remember("flag was not set") }
        >> input(approval_form)
        >> done
}
)");
    fixture f({src.path.string()}, register_half_step);
    auto p = f.start("gated", json::array({json::object()}));
    CHECK(p.last_status == process_status::suspended);
    CHECK(f.rows(p.process_id, true) ==
          std::vector<std::string>{"Start success", "Remember skipped", "Remember success",
                                   "Input approval_form suspend"});
    CHECK(f.db->steps(p.process_id)[2].state["remembered"] == "flag was not set");
}

TEST_CASE("a plan owns what it runs: it outlives the catalog it was planned from") {
    temp_dir src;
    src.file("w.wf", R"(
form gate_form {
    title "Gate for {workflow_name}"
    flag: bool = false
    level: int = 3
}
form approval_form {
    approved: bool
    note: str = "checked by {reporter}"
}
workflow gated {
    description "Gated"
    target SYSTEM
    form gate_form
    steps init
        >> if flag { remember("flag was set") }
        >> if level != 3 { remember("level moved") }
        >> input(approval_form)
        >> done
}
)");
    registry reg;
    register_stdlib(reg);
    register_half_step(reg);  // remember(...)
    auto cat = load_catalog({src.path.string()}, reg);
    REQUIRE(cat->ok());
    workflow_plan plan = *cat->plan("gated");
    cat.reset();  // the syntax trees are gone; the copy must not need them

    REQUIRE(plan.forms.size() == 1);
    auto gate = build_page(*plan.forms[0], {{"workflow_name", "gated"}}, nullptr);
    CHECK(gate.title == "Gate for gated");
    CHECK(gate.fields.at(1).default_value == json(3));
    REQUIRE(plan.steps.size() == 5);
    const auto& flagged = plan.steps[1];
    const auto& moved = plan.steps[2];
    CHECK_FALSE(flagged.runs({{"flag", false}}));
    CHECK(flagged.runs({{"flag", true}}));
    CHECK_FALSE(moved.runs({{"level", 3}}));
    CHECK(moved.runs({{"level", 4}}));
    CHECK(moved.runs(json::object()));  // missing is not 3
    REQUIRE(plan.steps[3].form);
    auto approval = build_page(*plan.steps[3].form, {{"reporter", "ops"}}, nullptr);
    CHECK(approval.fields.at(1).default_value == json("checked by ops"));
}

TEST_CASE("statuses and targets: one text each, in to_string, JSON and fmt alike") {
    for (auto s : {process_status::created, process_status::running, process_status::suspended,
                   process_status::waiting, process_status::failed, process_status::aborted,
                   process_status::completed, process_status::resumed}) {
        CHECK(json(s) == std::string(to_string(s)));
        CHECK(fmt::format("{}", s) == to_string(s));
        CHECK(parse_process_status(to_string(s)) == s);
        CHECK(json(s).get<process_status>() == s);
    }
    for (auto s :
         {step_status::success, step_status::skipped, step_status::suspend, step_status::waiting,
          step_status::failed, step_status::abort, step_status::complete})
        CHECK(json(s).get<step_status>() == s);
    CHECK(json(workflow_target::terminate) == "TERMINATE");
    CHECK(json("SYSTEM").get<workflow_target>() == workflow_target::system);
    CHECK_FALSE(parse_process_status("done"));
    CHECK_THROWS_WITH(json("done").get<process_status>(), "'done' is not a process status");
    CHECK_THROWS_AS(json("terminate").get<workflow_target>(), std::invalid_argument);
}

TEST_CASE("fault injection specs") {
    auto plan =
        parse_faults("unsync=fail,deprovision_user_group=fail*2,resync=crash,done=delay:500ms");
    CHECK(plan.at("unsync").remaining == -1);
    CHECK(plan.at("deprovision_user_group").remaining == 2);
    CHECK(plan.at("resync").k == fault::kind::crash);
    CHECK(plan.at("done").delay_ms == 500);
    CHECK_THROWS_AS(parse_faults("unsync"), std::invalid_argument);
    CHECK_THROWS_AS(parse_faults("unsync=explode"), std::invalid_argument);
    CHECK_THROWS_AS(parse_faults("unsync=delay:soon"), std::invalid_argument);
    CHECK(parse_faults("init=delay:8760h").at("init").delay_ms == max_duration_ms);
    CHECK(parse_faults("init=fail*1000000").at("init").remaining == 1'000'000);
    // Every number out of range or unreadable is refused, naming the item; nothing wraps.
    for (const std::string item :
         {"init=delay:9223372036854775807h", "init=delay:99999999999999999999ms",
          "init=delay:8761h", "init=delay:-5s", "init=delay:5", "init=delay:ms", "init=fail*0",
          "init=fail*-1", "init=fail*2147483648", "init=fail*99999999999999999999",
          "init=fail*1000001", "init=fail*", "init=fail*3x", "init=fail* 3"}) {
        INFO(item);
        try {
            parse_faults("done=fail," + item);
            FAIL("accepted");
        } catch (const std::invalid_argument& e) {
            const std::string message = e.what();
            CHECK_THAT(message, Catch::StartsWith("fault '" + item + "': "));
            CHECK_THAT(message, !Catch::Contains("stoll") && !Catch::Contains("stoi"));
        }
    }
}

TEST_CASE("a retry's wait grows by its backoff, capped, and never overflows") {
    retry_policy p;
    p.delay_ms = 1000;
    p.backoff = 2;
    p.max_delay_ms = 10'000;
    CHECK(p.wait_after(1) == 1000);
    CHECK(p.wait_after(2) == 2000);
    CHECK(p.wait_after(4) == 8000);
    CHECK(p.wait_after(5) == 10'000);
    CHECK(p.wait_after(1000) == 10'000);
    // Policies past the linter's ranges still give a wait from 0 to max_duration_ms.
    p.delay_ms = std::numeric_limits<std::int64_t>::max();
    p.max_delay_ms = std::numeric_limits<std::int64_t>::max();
    p.backoff = std::numeric_limits<std::int64_t>::max();
    CHECK(p.wait_after(1) == max_duration_ms);
    CHECK(p.wait_after(std::numeric_limits<int>::max()) == max_duration_ms);
    p.delay_ms = 1;
    CHECK(p.wait_after(3) == max_duration_ms);
    CHECK(p.wait_after(std::numeric_limits<int>::max()) == max_duration_ms);
    p.delay_ms = -5;
    p.backoff = -3;
    CHECK(p.wait_after(7) == 0);
    p.delay_ms = 7;
    p.backoff = 1;
    CHECK(p.wait_after(std::numeric_limits<int>::max()) == 7);
}

TEST_CASE("JSON input nests at most max_json_depth levels, and the message names the field") {
    auto nested = [](std::size_t levels) {
        return "[{\"members\": " + std::string(levels - 2, '[') + std::string(levels - 2, ']') +
               "}]";
    };
    CHECK(parse_json_input(nested(max_json_depth), "--input").is_array());
    try {
        parse_json_input(nested(max_json_depth + 1), "--input");
        FAIL("accepted");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()) ==
              "--input: JSON nested more than 64 levels deep (in field 'members')");
    }
    // A hundred thousand levels: refused while parsing, without recursing.
    CHECK_THROWS_WITH(parse_json_input(std::string(100'000, '['), "line 3"),
                      "line 3: JSON nested more than 64 levels deep");
    CHECK_THROWS_AS(parse_json_input("[1, ", "--input"), json::parse_error);

    // A value parsed elsewhere is held to the same bound.
    json deep = json::array();
    json* inner = &deep;
    for (std::size_t i = 1; i < max_json_depth; ++i) inner = &inner->emplace_back(json::array());
    CHECK_NOTHROW(check_json_depth(deep, "form pages"));
    inner->emplace_back(json::object({{"x", json::array()}}));
    CHECK_THROWS_WITH(check_json_depth(deep, "form pages"),
                      "form pages: JSON nested more than 64 levels deep");
    json page = json::array({json::object({{"group", deep}})});
    CHECK_THROWS_WITH(check_json_depth(page, "form pages"),
                      "form pages: JSON nested more than 64 levels deep (in field 'group')");
}

TEST_CASE("fail times N fails N times within one engine and then succeeds") {
    engine_options options;
    options.faults = parse_faults("deprovision_user_group=fail*1");
    fixture f({WFRUN_SOURCE_DIR "/workflows"}, nullptr, options);
    auto group = f.create_group("Group One");
    auto p = f.start("terminate_user_group",
                     json::array({{{"subscription_id", group}}, json::object()}));
    CHECK(p.last_status == process_status::failed);
    auto stored = *f.db->process(p.process_id);
    auto resumed = f.eng->run(stored, f.eng->recover(stored));
    CHECK(resumed.last_status == process_status::completed);
    CHECK(f.rows(p.process_id, true).at(3) == "Deprovision user group failed");
    CHECK(f.rows(p.process_id, true).at(4) == "Deprovision user group success");
}

TEST_CASE("catalog diagnostics: unknown names, arguments, chain shape, duplicates") {
    temp_dir src;
    src.file("a.wf", R"(form f {
    x: str
}
workflow w {
    description "W"
    target TERMINATE
    product_type UserGroup
    form g
    steps unsync >> set_status(TERMINATD) >> store_process_subscription(1, 2) >> deprovision_usr_group >> resync
}
)");
    src.file("b.wf", "form f {\n    y: int\n}\n");
    src.file("products.wf", R"(block B {
    description "b"
    n: strng
}
product "P" {
    type UserGroup
    tag P
    description "p"
    root: B
}
)");
    registry steps;
    register_stdlib(steps);
    tutorial::register_steps(steps);
    auto cat = load_catalog({src.path.string()}, steps);
    std::vector<std::string> lines;
    for (const auto& d : cat->diagnostics) {
        auto text = format_diagnostic(d);
        auto prefix = src.path.string() + "/";
        for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix))
            text.erase(at, prefix.size());
        lines.push_back(text);
    }
    auto has = [&](const std::string& fragment) {
        for (const auto& l : lines)
            if (l.find(fragment) != std::string::npos) return true;
        return false;
    };
    INFO(Catch::Detail::stringify(lines));
    CHECK(has("a.wf:8:10: error[E102]: unknown form 'g'; did you mean 'f'?"));
    CHECK(!has("needs argument 'lifecycle'"));
    CHECK(has("a.wf:9:11: error[E106]: the chain of workflow 'w' must start with 'init'"));
    CHECK(has("error[E105]: 'TERMINATD' is not a SubscriptionLifecycle"));
    CHECK(has("error[E105]: step 'store_process_subscription' takes 1 argument, got more"));
    CHECK(
        has("error[E101]: unknown step 'deprovision_usr_group'; did you mean "
            "'deprovision_user_group'?"));
    CHECK(has("must end with 'done'"));
    CHECK(has("b.wf:1:1: error[E107]: duplicate name 'f': form also declared at a.wf:1:1"));
    CHECK(
        has("products.wf:3:8: error[E104]: unknown field type 'strng' in block 'B'; did you mean "
            "'str'?"));
    CHECK(!cat->ok());
}

TEST_CASE(
    "set_status refuses to terminate a group that users still use, even past the start check") {
    fixture f;
    auto group = f.create_group("Group Two");
    auto user = f.start(
        "create_user",
        json::array(
            {{{"product", f.product("User internal")}},
             {{"username", "my_internal_user"}, {"age", 40}, {"user_group_ids", {group}}}}));
    REQUIRE(user.last_status == process_status::completed);
    // The form's admission check is bypassed by starting with a complete state directly.
    auto p = f.eng->start(*f.cat->plan("terminate_user_group"),
                          {{"subscription_id", group}, {"product", f.product("User Group")}}, {},
                          admission::skip);
    CHECK(p.last_status == process_status::failed);
    CHECK(p.last_step == "Set subscription to 'terminated'");
    CHECK(p.failed_reason ==
          "Unsafe status change of Subscription with depending subscriptions: ['User "
          "my_internal_user from group Group Two (internal)']");
    auto sub = f.db->load_subscription(group);
    CHECK((*sub)["status"] == "active");
    CHECK((*sub)["insync"] == false);  // locked, as orchestrator-core leaves it
}

namespace {
void no_extra(registry&) {}
}  // namespace

TEST_CASE("moving to a lifecycle checks its required fields and names the missing one") {
    temp_dir src;
    src.file("skip.wf", R"(
form name_form {
    group_name: str
}
workflow create_unprovisioned_group {
    description "Create a group without provisioning it"
    target CREATE
    product_type UserGroup
    form name_form
    steps init >> create_subscription >> store_process_subscription(CREATE)
        >> initialize_subscription >> set_status(ACTIVE) >> resync >> done
}
)");
    fixture f({WFRUN_SOURCE_DIR "/workflows/products", src.path.string()}, no_extra);
    auto p = f.start("create_unprovisioned_group",
                     json::array({{{"product", f.product("User Group")}}, {{"group_name", "G"}}}));
    CHECK(p.last_status == process_status::failed);
    CHECK(p.failed_reason ==
          "Subscription cannot be active: field 'user_group.group_id' is required");
    auto id = f.db->process_subscriptions(p.process_id).at(0);
    CHECK((*f.db->load_subscription(id))["status"] == "provisioning");
}
