// The service layer, one call at a time, against a real SQLite file in a temporary folder with
// the tutorial catalog (plus one small workflow with an input step): each query and command a
// front end offers, its orchestrator-core shape, and each error kind it reports.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "interpreter/service/service.hpp"
#include "stdlib/builtin_steps.hpp"
#include "tutorial_steps.hpp"

using namespace wfrun;
namespace svc = wfrun::service;

namespace {

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "wfrun-service-XXXXXX").string();
        path = mkdtemp(tmpl.data());
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
    std::string file(const std::string& name, const std::string& text = "") const {
        auto p = path / name;
        std::filesystem::create_directories(p.parent_path());
        if (!text.empty()) std::ofstream(p) << text;
        return p.string();
    }
};

// A workflow that waits for an approval page between its steps.
const char* approval_workflow = R"(
form approval_form {
    approved: bool
}

workflow approve {
    description "Approve"
    target SYSTEM
    steps init >> input(approval_form) >> done
}
)";

registry tutorial_registry() {
    registry steps;
    register_stdlib(steps);
    tutorial::register_steps(steps);
    return steps;
}

// The tutorial catalog and the approval workflow on a fresh database file.
struct service_fixture {
    temp_dir dir;
    registry steps = tutorial_registry();
    std::unique_ptr<svc::runtime> rt;

    explicit service_fixture(engine_options engine = {}) {
        rt = std::make_unique<svc::runtime>(steps, options(std::move(engine)));
    }

    svc::runtime_options options(engine_options engine = {}) {
        svc::runtime_options o;
        o.database = dir.file("wfrun.db");
        o.catalog_paths = {WFRUN_SOURCE_DIR "/workflows",
                           dir.file("extra/approve.wf", approval_workflow)};
        o.engine = std::move(engine);
        return o;
    }

    std::string product_id(const std::string& name) {
        for (const auto& p : svc::products(*rt))
            if (p["name"] == name) return p["product_id"];
        FAIL("no product " << name);
        return {};
    }

    process_row run(const std::string& workflow, const json& pages) {
        auto started = svc::start(*rt, workflow, pages);
        REQUIRE(started.process);
        return *started.process;
    }

    std::string create_group(const std::string& name) {
        auto p =
            run("create_user_group",
                json::array({{{"product", product_id("User Group")}}, {{"group_name", name}}}));
        REQUIRE(p.last_status == process_status::completed);
        return rt->storage().process_subscriptions(p.process_id).at(0);
    }

    std::string create_user(const std::string& group, const std::string& name) {
        auto p =
            run("create_user", json::array({{{"product", product_id("User internal")}},
                                            {{"username", name}, {"user_group_ids", {group}}}}));
        REQUIRE(p.last_status == process_status::completed);
        return rt->storage().process_subscriptions(p.process_id).at(0);
    }
};

// Runs `call`, which must throw a service error of `kind`; returns its message.
template <class F>
std::string error_of(svc::error_kind kind, F&& call) {
    try {
        call();
    } catch (const svc::error& e) {
        CHECK(e.kind() == kind);
        return e.what();
    }
    FAIL("no service error was thrown");
    return {};
}

}  // namespace

TEST_CASE("service: a runtime is built from options and holds no global state") {
    service_fixture f;
    auto group = f.create_group("Ops");

    // A second runtime on the same file sees what the first wrote.
    svc::runtime second(f.steps, f.options());
    CHECK(svc::subscription_domain_model(second, group)["user_group"]["group_name"] == "Ops");

    // A runtime on another file does not.
    temp_dir other;
    auto o = f.options();
    o.database = other.file("other.db");
    svc::runtime elsewhere(f.steps, std::move(o));
    error_of(svc::error_kind::not_found, [&] { svc::subscription_domain_model(elsewhere, group); });

    // The catalog's diagnostics reach on_catalog before anything else happens.
    std::size_t seen = 0;
    o = f.options();
    o.on_catalog = [&](const catalog& c) { seen = c.files.size(); };
    svc::runtime observed(f.steps, std::move(o));
    CHECK(seen == observed.catalog_ref().files.size());
    CHECK(seen > 0);
}

TEST_CASE("service: a catalog with errors or a database that cannot open builds no runtime") {
    service_fixture f;
    auto o = f.options();
    o.catalog_paths = {
        f.dir.file("broken/broken.wf", "workflow w {\n    steps init >> nosuch >> done\n}\n")};
    try {
        svc::runtime rt(f.steps, std::move(o));
        FAIL("the runtime was built");
    } catch (const svc::catalog_error& e) {
        CHECK(std::string(e.what()).find("does not load") != std::string::npos);
        CHECK(has_errors(e.diagnostics()));
    }

    o = f.options();
    o.database = f.dir.file("no/such/folder/wfrun.db");
    std::filesystem::remove_all(f.dir.path / "no");
    CHECK_THROWS_AS(svc::runtime(f.steps, std::move(o)), store_error);
}

TEST_CASE("service: the start protocol, page by page") {
    service_fixture f;
    auto msg = error_of(svc::error_kind::not_found,
                        [&] { svc::post_form(*f.rt, "create_usr_group", json::array()); });
    CHECK(msg == "unknown workflow 'create_usr_group'; did you mean 'create_user_group'?");

    auto first = svc::post_form(*f.rt, "create_user_group", json::array());
    REQUIRE(first.k == form_outcome::kind::not_complete);
    CHECK(first.form["properties"].contains("product"));
    CHECK(first.meta == json{{"hasNext", true}});

    auto product = f.product_id("User Group");
    auto second = svc::post_form(*f.rt, "create_user_group", json::array({{{"product", product}}}));
    REQUIRE(second.k == form_outcome::kind::not_complete);
    CHECK(second.form["properties"].contains("group_name"));
    CHECK(second.meta == json{{"hasNext", false}});

    auto invalid = svc::post_form(*f.rt, "create_user_group",
                                  json::array({{{"product", product}}, {{"group_name", 12}}}));
    REQUIRE(invalid.k == form_outcome::kind::invalid);
    REQUIRE(!invalid.errors.empty());
    CHECK(invalid.errors[0].field == "group_name");

    auto complete = svc::post_form(*f.rt, "create_user_group",
                                   json::array({{{"product", product}}, {{"group_name", "Ops"}}}));
    REQUIRE(complete.k == form_outcome::kind::complete);
    CHECK(complete.state["group_name"] == "Ops");

    // Nothing was written by any of it.
    CHECK(svc::list_processes(*f.rt, {}).empty());
}

TEST_CASE("service: start runs a complete form and refuses what may not start") {
    service_fixture f;
    auto incomplete = svc::start(*f.rt, "create_user_group", json::array());
    CHECK(!incomplete.process);
    CHECK(incomplete.form.k == form_outcome::kind::not_complete);

    auto group = f.create_group("Ops");
    CHECK(svc::subscription_domain_model(*f.rt, group)["status"] == "active");

    // Terminating a subscription that does not exist: the start predicate fails (412).
    auto msg = error_of(svc::error_kind::precondition_failed, [&] {
        svc::start(*f.rt, "terminate_user_group",
                   json::array({{{"subscription_id", "00000000-0000-0000-0000-000000000000"}},
                                json::object()}));
    });
    CHECK(msg.rfind("This workflow cannot be started: ", 0) == 0);

    // A group that a user uses may not be terminated either.
    f.create_user(group, "ann");
    error_of(svc::error_kind::precondition_failed, [&] {
        svc::start(*f.rt, "terminate_user_group",
                   json::array({{{"subscription_id", group}}, json::object()}));
    });

    // While the engine is paused, nothing starts (503).
    svc::pause_engine(*f.rt);
    msg = error_of(svc::error_kind::engine_locked,
                   [&] { svc::start(*f.rt, "create_user_group", json::array()); });
    CHECK(msg == engine_locked_message);
    const auto& plan = svc::find_workflow(*f.rt, "approve");
    error_of(svc::error_kind::engine_locked,
             [&] { svc::start_process(*f.rt, plan, json::object()); });
}

TEST_CASE("service: show and list processes, status counts") {
    service_fixture f;
    f.create_group("Ops");
    auto waiting = f.run("approve", json::array({json::object()}));
    REQUIRE(waiting.last_status == process_status::suspended);

    auto view = svc::show_process(*f.rt, waiting.process_id);
    CHECK(view.row.process_id == waiting.process_id);
    const auto& body = view.body;
    CHECK(body["workflow_name"] == "approve");
    CHECK(body["last_status"] == "suspended");
    CHECK(body["is_task"] == true);
    REQUIRE(body["steps"].size() == 3);  // Start, the suspended input step, then Done pending
    CHECK(body["steps"][0]["status"] == "success");
    CHECK(body["steps"][0].contains("state_delta"));
    CHECK(body["steps"][1]["status"] == "suspend");
    CHECK(body["steps"][2] == json{{"name", "Done"}, {"status", "pending"}});
    CHECK(body["form"]["properties"].contains("approved"));
    CHECK(body["current_state"].is_object());
    CHECK(body["subscriptions"].empty());

    auto group_process = svc::list_processes(*f.rt, {std::nullopt, "create_user_group", 0});
    REQUIRE(group_process.size() == 1);
    CHECK(!group_process[0].contains("steps"));
    CHECK(group_process[0]["orphaned"] == false);
    auto shown = svc::show_process(*f.rt, group_process[0]["process_id"]).body;
    REQUIRE(shown["subscriptions"].size() == 1);
    CHECK(shown["subscriptions"][0]["product"]["name"] == "User Group");
    CHECK(shown["form"].is_null());
    for (const auto& s : shown["steps"]) CHECK(s["status"] != "pending");

    CHECK(svc::list_processes(*f.rt, {}).size() == 2);
    CHECK(svc::list_processes(*f.rt, {process_status::suspended, std::nullopt, 0}).size() == 1);
    CHECK(svc::list_processes(*f.rt, {process_status::failed, std::nullopt, 0}).empty());

    CHECK(svc::status_counts(*f.rt) ==
          json{{"process_counts", {{"completed", 1}}}, {"task_counts", {{"suspended", 1}}}});

    auto msg = error_of(svc::error_kind::not_found, [&] { svc::show_process(*f.rt, "nope"); });
    CHECK(msg == "no process nope");
}

TEST_CASE("service: resume a suspended process with its page") {
    service_fixture f;
    auto p = f.run("approve", json::array({json::object()}));
    REQUIRE(svc::waiting_form(*f.rt, p));

    auto ask = svc::resume(*f.rt, p.process_id, json::array());
    REQUIRE(ask.k == resume_outcome::kind::not_complete);
    CHECK(ask.form["properties"].contains("approved"));
    CHECK(ask.meta == json{{"hasNext", false}});

    auto wrong = svc::resume(*f.rt, p.process_id, json::array({{{"approved", "perhaps"}}}));
    REQUIRE(wrong.k == resume_outcome::kind::invalid);
    CHECK(wrong.errors.at(0).field == "approved");
    CHECK(svc::find_process(*f.rt, p.process_id).last_status == process_status::suspended);

    svc::pause_engine(*f.rt);
    error_of(svc::error_kind::engine_locked, [&] {
        svc::resume(*f.rt, p.process_id, json::array({{{"approved", true}}}));
    });
    svc::resume_engine(*f.rt);

    auto done = svc::resume(*f.rt, p.process_id, json::array({{{"approved", true}}}));
    REQUIRE(done.k == resume_outcome::kind::resumed);
    CHECK(done.process.last_status == process_status::completed);
    CHECK(!svc::waiting_form(*f.rt, done.process));

    auto msg = error_of(svc::error_kind::conflict,
                        [&] { svc::resume(*f.rt, p.process_id, json::array()); });
    CHECK(msg == "Resuming a completed workflow is not possible");
    msg = error_of(svc::error_kind::not_found, [&] { svc::resume(*f.rt, "nope", json::array()); });
    CHECK(msg == "no process nope");
}

TEST_CASE("service: resume a failed process, resume what is due") {
    engine_options faults;
    faults.faults = parse_faults("deprovision_user_group=fail*1");
    service_fixture f(std::move(faults));
    auto group = f.create_group("Ops");
    auto p =
        f.run("terminate_user_group", json::array({{{"subscription_id", group}}, json::object()}));
    REQUIRE(p.last_status == process_status::failed);
    CHECK(svc::resume_due(*f.rt).empty());  // a failed process is not retried by itself

    auto retried = svc::resume(*f.rt, p.process_id, json::array());
    REQUIRE(retried.k == resume_outcome::kind::resumed);
    CHECK(retried.process.last_status == process_status::completed);

    svc::pause_engine(*f.rt);
    error_of(svc::error_kind::engine_locked, [&] { svc::resume_due(*f.rt); });
}

TEST_CASE("service: abort") {
    service_fixture f;
    auto p = f.run("approve", json::array({json::object()}));
    auto aborted = svc::abort(*f.rt, p.process_id);
    CHECK(aborted.last_status == process_status::aborted);
    CHECK(svc::find_process(*f.rt, p.process_id).last_status == process_status::aborted);
    auto msg = error_of(svc::error_kind::conflict, [&] { svc::abort(*f.rt, p.process_id); });
    CHECK(msg == "Aborting a aborted process is not possible");
    error_of(svc::error_kind::not_found, [&] { svc::abort(*f.rt, "nope"); });
}

TEST_CASE("service: engine pause, status and resume") {
    service_fixture f;
    CHECK(svc::engine_status(*f.rt) ==
          json{{"global_lock", false}, {"global_status", "RUNNING"}, {"running_processes", 0}});
    CHECK(!svc::engine_locked(*f.rt));
    svc::pause_engine(*f.rt);
    CHECK(svc::engine_locked(*f.rt));
    CHECK(svc::engine_status(*f.rt) ==
          json{{"global_lock", true}, {"global_status", "PAUSED"}, {"running_processes", 0}});
    CHECK(svc::resume_engine(*f.rt).empty());
    CHECK(svc::engine_status(*f.rt)["global_status"] == "RUNNING");
    CHECK_NOTHROW(svc::require_unlocked(*f.rt));
}

TEST_CASE("service: products and one product") {
    service_fixture f;
    auto all = svc::products(*f.rt);
    REQUIRE(all.size() == 3);
    auto id = f.product_id("User Group");
    auto one = svc::product(*f.rt, id);
    CHECK(one["name"] == "User Group");
    CHECK(one["product_type"] == "UserGroup");
    CHECK(one["workflows"] ==
          json::array({"create_user_group", "modify_user_group", "terminate_user_group"}));
    for (const auto& key : {"product_id", "name", "description", "product_type", "tag", "status"})
        CHECK(one.contains(key));
    auto msg = error_of(svc::error_kind::not_found, [&] { svc::product(*f.rt, "nope"); });
    CHECK(msg == "Product id nope not found");
}

TEST_CASE("service: subscriptions, domain models and the workflows they allow") {
    service_fixture f;
    auto group = f.create_group("Ops");
    auto user = f.create_user(group, "ann");

    CHECK(svc::subscriptions(*f.rt, {}).size() == 2);
    auto groups = svc::subscriptions(*f.rt, {"UserGroup", std::nullopt});
    REQUIRE(groups.size() == 1);
    CHECK(groups[0]["subscription_id"] == group);
    CHECK(groups[0]["insync"] == true);
    CHECK(groups[0]["product"]["tag"] == "GROUP");
    CHECK(svc::subscriptions(*f.rt, {std::nullopt, "terminated"}).empty());

    auto model = svc::subscription_domain_model(*f.rt, group);
    CHECK(model["user_group"]["group_name"] == "Ops");
    REQUIRE(model["in_use_by"].size() == 1);
    CHECK(model["in_use_by"][0]["subscription_id"] == user);
    CHECK(model["depends_on"].empty());
    auto user_model = svc::subscription_domain_model(*f.rt, user);
    REQUIRE(user_model["depends_on"].size() == 1);
    CHECK(user_model["depends_on"][0]["subscription_id"] == group);
    auto msg = error_of(svc::error_kind::not_found,
                        [&] { svc::subscription_domain_model(*f.rt, "nope"); });
    CHECK(msg == "Subscription nope not found");

    auto workflows = svc::subscription_workflows(*f.rt, group);
    REQUIRE(workflows.size() == 2);  // CREATE workflows are not offered
    for (const auto& w : workflows) {
        if (w["name"] == "modify_user_group") {
            CHECK(w["allowed"] == true);
            CHECK(!w.contains("reason"));
        } else {
            CHECK(w["name"] == "terminate_user_group");
            CHECK(w["target"] == "TERMINATE");
            CHECK(w["allowed"] == false);
            CHECK(w.contains("reason"));
            REQUIRE(w["blocked_by"].size() == 1);
            CHECK(w["blocked_by"][0]["subscription_id"] == user);
        }
    }
    error_of(svc::error_kind::not_found, [&] { svc::subscription_workflows(*f.rt, "nope"); });

    auto lists = svc::subscription_workflow_lists(*f.rt, group);
    CHECK(lists["create"].empty());
    CHECK(lists["system"].empty());
    CHECK(lists["modify"] ==
          json::array({{{"name", "modify_user_group"}, {"description", "Modify user group"}}}));
    REQUIRE(lists["terminate"].size() == 1);
    CHECK(lists["terminate"][0]["name"] == "terminate_user_group");
    CHECK(lists["terminate"][0].contains("reason"));
    error_of(svc::error_kind::not_found, [&] { svc::subscription_workflow_lists(*f.rt, "nope"); });
}

TEST_CASE("service: set-in-sync refuses while a live process holds the subscription") {
    engine_options faults;
    faults.faults = parse_faults("deprovision_user_group=fail");
    service_fixture f(std::move(faults));
    auto group = f.create_group("Ops");
    auto p =
        f.run("terminate_user_group", json::array({{{"subscription_id", group}}, json::object()}));
    REQUIRE(p.last_status == process_status::failed);
    CHECK(svc::subscription_domain_model(*f.rt, group)["insync"] == false);

    try {
        svc::set_in_sync(*f.rt, group);
        FAIL("set-in-sync went through");
    } catch (const svc::error& e) {
        CHECK(e.kind() == svc::error_kind::conflict);
        CHECK(std::string(e.what()) == "Subscription " + group +
                                           " is still held by a live process:\n  " + p.process_id +
                                           " (terminate_user_group, failed)");
        REQUIRE(e.detail().size() == 1);
        CHECK(e.detail()[0]["process_id"] == p.process_id);
    }
    CHECK(svc::subscription_domain_model(*f.rt, group)["insync"] == false);

    // An aborted process holds it no longer.
    svc::abort(*f.rt, p.process_id);
    svc::set_in_sync(*f.rt, group);
    CHECK(svc::subscription_domain_model(*f.rt, group)["insync"] == true);
    CHECK_NOTHROW(svc::set_in_sync(*f.rt, group));  // already in sync: fine
    error_of(svc::error_kind::not_found, [&] { svc::set_in_sync(*f.rt, "nope"); });
}

TEST_CASE("service: lint reports every diagnostic with its position") {
    auto steps = tutorial_registry();
    auto clean = svc::lint(steps, {WFRUN_SOURCE_DIR "/workflows"});
    CHECK(clean.ok());
    CHECK(clean.files == 8);

    temp_dir dir;
    auto file = dir.file("bad.wf",
                         "workflow w {\n    target SYSTEM\n    steps init >> nosuch >> done\n}\n");
    auto bad = svc::lint(steps, {file});
    CHECK(!bad.ok());
    CHECK(bad.files == 1);
    auto j = svc::diagnostics_json(bad.diagnostics);
    REQUIRE(!j.empty());
    bool unknown_step = false;
    for (const auto& d : j) {
        CHECK(d["file"] == file);
        CHECK(d["line"].get<int>() >= 1);
        if (d["code"] == "E101") {
            unknown_step = true;
            CHECK(d["severity"] == "error");
            CHECK(d["line"] == 3);
        }
    }
    CHECK(unknown_step);
}

TEST_CASE("service: a workflow's graph, without a store") {
    auto steps = tutorial_registry();
    auto cat = load_catalog({WFRUN_SOURCE_DIR "/workflows"}, steps);
    REQUIRE(cat->ok());
    auto dot = svc::workflow_graph(*cat, steps, "terminate_user_group", "dot");
    CHECK(dot.rfind("digraph", 0) == 0);
    CHECK(dot.find("deprovision_user_group") != std::string::npos);
    auto mermaid = svc::workflow_graph(*cat, steps, "terminate_user_group", "mermaid");
    CHECK(mermaid.rfind("flowchart", 0) == 0);
    auto msg = error_of(svc::error_kind::not_found,
                        [&] { svc::workflow_graph(*cat, steps, "terminate_user_grup", "dot"); });
    CHECK(msg == "unknown workflow 'terminate_user_grup'; did you mean 'terminate_user_group'?");
    error_of(svc::error_kind::invalid_input,
             [&] { svc::workflow_graph(*cat, steps, "terminate_user_group", "svg"); });
}
