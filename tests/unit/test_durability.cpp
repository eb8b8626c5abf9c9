// The durable engine through its public API, on a real SQLite file: input steps and resume,
// conditions, retry policies with `resume_due`, input timeouts, retrying failed processes, the
// engine pause, orphaned processes taken over, workflows edited while processes are in flight,
// and racing starts on one subscription.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "interpreter/catalog/catalog.hpp"
#include "interpreter/engine/engine.hpp"
#include "interpreter/store/sqlite/sqlite_store.hpp"
#include "stdlib/builtin_steps.hpp"
#include "tutorial_steps.hpp"

using namespace wfrun;

namespace {

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "wfrun-durable-XXXXXX").string();
        path = mkdtemp(tmpl.data());
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
    std::string file(const std::string& name, const std::string& text) const {
        auto p = path / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }
    std::string sub(const std::string& name) const { return (path / name).string(); }
};

// Steps for these tests: `note(value)` records a value; `pause_engine` sets the global lock
// from inside a step, as an operator would while the process runs.
void register_test_steps(registry& r) {
    r.add({.name = "note",
           .display_name = "Note {value}",
           .params = {{"value", value_type::string}},
           .writes = {{"noted", value_type::string}}},
          [](step_context& ctx) -> json {
              return {{"noted", ctx.param("value")}};
          });
    r.add({.name = "pause_engine", .display_name = "Pause the engine"},
          [](step_context& ctx) -> json {
              ctx.db().exec("UPDATE engine_settings SET global_lock = 1");
              return nullptr;
          });
}

const char* test_workflows = R"(
form approval_form {
    approved: bool
    level: int = 1
}

workflow gated {
    description "Gated"
    target SYSTEM
    steps init
        >> input(approval_form)
        >> if approved { note("approved") }
        >> if not approved { note("rejected") }
        >> if level == 2 { note("level two") }
        >> if level != 2 { note("not level two") }
        >> done
}

workflow timed_abort {
    description "Timed abort"
    target SYSTEM
    steps init >> input(approval_form) timeout(0s, then: abort) >> done
}

workflow timed_fail {
    description "Timed fail"
    target SYSTEM
    steps init >> input(approval_form) timeout(0s) >> done
}

workflow retried {
    description "Retried"
    target SYSTEM
    steps init >> note("x") retry(attempts: 3, delay: 0s, then: fail) >> done
}

workflow retried_abort {
    description "Retried, then aborted"
    target SYSTEM
    steps init >> note("x") retry(attempts: 2, delay: 0s, then: abort) >> done
}

workflow retried_later {
    description "Retried an hour later"
    target SYSTEM
    steps init >> note("x") retry(attempts: 3, delay: 1h) >> done
}

workflow plain {
    description "Plain"
    target SYSTEM
    steps init >> note("x") >> done
}

workflow paused {
    description "Paused"
    target SYSTEM
    steps init >> pause_engine >> note("after the pause") >> done
}
)";

// A registry, a catalog, a store and an engine on one database file; reopen() loads another
// catalog over the same file, as a new wfrun invocation after an edit would.
struct world {
    temp_dir dir;
    registry steps;
    std::unique_ptr<catalog> cat;
    std::unique_ptr<sqlite_store> db;
    std::unique_ptr<engine> eng;

    explicit world(std::vector<std::string> paths = {}, engine_options options = {}) {
        register_stdlib(steps);
        tutorial::register_steps(steps);
        register_test_steps(steps);
        if (paths.empty()) paths = {dir.file("catalog/test.wf", test_workflows)};
        reopen(paths, std::move(options));
    }

    void reopen(const std::vector<std::string>& paths, engine_options options = {}) {
        eng.reset();
        db.reset();
        cat = load_catalog(paths, steps);
        for (const auto& d : cat->diagnostics) UNSCOPED_INFO(format_diagnostic(d));
        REQUIRE(cat->ok());
        db = std::make_unique<sqlite_store>(dir.sub("wfrun.db"));
        db->run_schema(steps.schemas());
        db->sync_catalog(cat->model);
        eng = std::make_unique<engine>(*db, *cat, steps, std::move(options));
    }

    process_row start(const std::string& workflow,
                      const json& pages = json::array({json::object()})) {
        const auto* plan = cat->plan(workflow);
        REQUIRE(plan);
        auto outcome = eng->post_form(*plan, pages);
        REQUIRE(outcome.k == form_outcome::kind::complete);
        return eng->start(*plan, outcome.state);
    }

    process_row stored(const std::string& pid) { return *db->process(pid); }

    std::vector<std::string> rows(const std::string& pid) {
        std::vector<std::string> out;
        for (const auto& s : db->steps(pid)) out.push_back(fmt::format("{} {}", s.name, s.status));
        return out;
    }

    std::string refusal_of(const std::string& pid, const json& pages = json::array()) {
        try {
            eng->resume(pid, pages);
        } catch (const refusal& e) {
            return e.what();
        }
        return "(not refused)";
    }
};

using rows_t = std::vector<std::string>;

// A pid that no process has any more: a child that has exited and been reaped.
pid_t dead_pid() {
    pid_t child = fork();
    if (child == 0) _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    return child;
}

std::string host_name() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return host;
}

}  // namespace

TEST_CASE("an input step suspends, shows its form, and resume validates, merges and goes on") {
    world w;
    auto p = w.start("gated");
    REQUIRE(p.last_status == process_status::suspended);
    auto page = w.eng->waiting_form(w.stored(p.process_id));
    REQUIRE(page);
    CHECK(page->fields.at(0).name == "approved");

    auto missing = w.eng->resume(p.process_id, json::array());
    REQUIRE(missing.k == resume_outcome::kind::not_complete);
    CHECK(missing.form["required"] == json::array({"approved"}));

    auto before = w.rows(p.process_id);
    auto invalid = w.eng->resume(p.process_id, json::array({{{"approved", "perhaps"}}}));
    REQUIRE(invalid.k == resume_outcome::kind::invalid);
    REQUIRE(invalid.errors.size() == 1);
    CHECK(invalid.errors[0].field == "approved");
    CHECK(w.rows(p.process_id) == before);
    CHECK(w.stored(p.process_id).last_status == process_status::suspended);
    CHECK_FALSE(w.db->last_input_state(p.process_id)->contains("approved"));

    auto done = w.eng->resume(p.process_id, json::array({{{"approved", true}, {"level", 2}}}));
    REQUIRE(done.k == resume_outcome::kind::resumed);
    CHECK(done.process.last_status == process_status::completed);
    CHECK(w.rows(p.process_id) == rows_t{"Start success", "Input approval_form suspend",
                                         "Input approval_form success", "Note approved success",
                                         "Note rejected skipped", "Note level two success",
                                         "Note not level two skipped", "Done complete"});
    auto steps = w.db->steps(p.process_id);
    CHECK(steps[2].state["approved"] == true);
    CHECK(steps[2].state["level"] == 2);
    CHECK(w.db->last_input_state(p.process_id) == json{{"approved", true}, {"level", 2}});
}

TEST_CASE("conditions: not, == and != pick the other branches") {
    world w;
    auto p = w.start("gated");
    // A single page may be given without the list around it.
    auto done = w.eng->resume(p.process_id, json{{"approved", false}});
    REQUIRE(done.process.last_status == process_status::completed);
    CHECK(w.rows(p.process_id) == rows_t{"Start success", "Input approval_form suspend",
                                         "Input approval_form success", "Note approved skipped",
                                         "Note rejected success", "Note level two skipped",
                                         "Note not level two success", "Done complete"});
}

TEST_CASE("resume refuses processes that cannot be resumed and writes nothing") {
    world w;
    auto done = w.start("plain");
    REQUIRE(done.last_status == process_status::completed);
    CHECK(w.refusal_of(done.process_id) == "Resuming a completed workflow is not possible");

    auto suspended = w.start("gated");
    w.eng->abort(w.stored(suspended.process_id));
    CHECK(w.refusal_of(suspended.process_id) == "Resuming a aborted workflow is not possible");
    CHECK(w.rows(suspended.process_id).back() == "User Aborted abort");

    auto created = w.start("gated");
    auto row = w.stored(created.process_id);
    row.last_status = process_status::created;
    w.db->begin();
    w.db->update_process(row);
    w.db->commit();
    CHECK(w.refusal_of(created.process_id) == "Resuming a created workflow is not possible");
    CHECK_THROWS_AS(w.eng->resume("no-such-process", json::array()), refusal);
}

TEST_CASE("a failed process is retried from its last good state and keeps the failed row") {
    engine_options options;
    options.faults = parse_faults("note=fail*1");
    world w({}, options);
    auto p = w.start("plain");
    REQUIRE(p.last_status == process_status::failed);
    CHECK(p.failed_reason == "Injected failure in step 'note'");
    auto out = w.eng->resume(p.process_id, json::array());
    CHECK(out.process.last_status == process_status::completed);
    CHECK(w.rows(p.process_id) ==
          rows_t{"Start success", "Note x failed", "Note x success", "Done complete"});
    CHECK(w.stored(p.process_id).failed_reason.empty());
}

TEST_CASE("identical failures are counted in one row") {
    engine_options options;
    options.faults = parse_faults("note=fail");
    world w({}, options);
    auto p = w.start("plain");
    w.eng->resume(p.process_id, json::array());
    auto out = w.eng->resume(p.process_id, json::array());
    CHECK(out.process.last_status == process_status::failed);
    CHECK(w.rows(p.process_id) == rows_t{"Start success", "Note x failed"});
    auto failed = w.db->steps(p.process_id).back().state;
    CHECK(failed["retries"] == 2);
    CHECK(failed["completed_at"].size() == 2);
}

TEST_CASE("a retry step goes waiting and resume_due retries it until it completes") {
    engine_options options;
    options.faults = parse_faults("note=fail*2");
    world w({}, options);
    auto p = w.start("retried");
    REQUIRE(p.last_status == process_status::waiting);
    auto waiting = w.db->steps(p.process_id).back();
    CHECK(waiting.status == step_status::waiting);
    CHECK(waiting.state["attempt"] == 1);
    CHECK(waiting.state["attempts"] == 3);
    CHECK(waiting.state.contains("next_attempt_at"));

    auto first = w.eng->resume_due();
    REQUIRE(first.size() == 1);
    CHECK(first[0].action == "retried");
    CHECK(first[0].status == process_status::waiting);
    CHECK(w.db->steps(p.process_id).back().state["retries"] == 1);  // the same failure, one row

    auto second = w.eng->resume_due();
    REQUIRE(second.size() == 1);
    CHECK(second[0].status == process_status::completed);
    CHECK(w.rows(p.process_id) ==
          rows_t{"Start success", "Note x waiting", "Note x success", "Done complete"});
    CHECK(w.eng->resume_due().empty());
}

TEST_CASE("after the last attempt the policy's then decides: fail or abort") {
    engine_options options;
    options.faults = parse_faults("note=fail");
    world w({}, options);
    auto p = w.start("retried");
    w.eng->resume_due();
    w.eng->resume_due();
    CHECK(w.stored(p.process_id).last_status == process_status::failed);
    CHECK(w.rows(p.process_id) == rows_t{"Start success", "Note x waiting", "Note x failed"});
    auto last = w.db->steps(p.process_id).back().state;
    CHECK(last["attempt"] == 3);
    CHECK_FALSE(last.contains("next_attempt_at"));
    CHECK(w.eng->resume_due().empty());  // failed processes are not retried on their own

    auto a = w.start("retried_abort");
    REQUIRE(a.last_status == process_status::waiting);
    w.eng->resume_due();
    auto aborted = w.stored(a.process_id);
    CHECK(aborted.last_status == process_status::aborted);
    CHECK(aborted.failed_reason == "Injected failure in step 'note'");
    CHECK(w.rows(a.process_id) ==
          rows_t{"Start success", "Note x waiting", "Note x failed", "Abort abort"});
    CHECK(w.db->steps(a.process_id).back().state["workflow_name"] ==
          "retried_abort");  // the last good state
}

TEST_CASE("a waiting process is not retried before its delay, but resume retries it at once") {
    engine_options options;
    options.faults = parse_faults("note=fail*1");
    world w({}, options);
    auto p = w.start("retried_later");
    REQUIRE(p.last_status == process_status::waiting);
    CHECK(w.eng->resume_due().empty());
    CHECK(w.eng->resume(p.process_id, json::array()).process.last_status == process_status::completed);
}

TEST_CASE("an input wait that times out fails or aborts the process as its then says") {
    world w;
    auto a = w.start("timed_abort");
    auto f = w.start("timed_fail");
    auto g = w.start("gated");  // no timeout: left alone
    auto due = w.eng->resume_due();
    REQUIRE(due.size() == 2);
    CHECK(w.stored(a.process_id).last_status == process_status::aborted);
    CHECK(w.rows(a.process_id) == rows_t{"Start success", "Input approval_form suspend",
                                         "Input approval_form failed", "Abort abort"});
    CHECK(w.stored(f.process_id).last_status == process_status::failed);
    CHECK(w.stored(f.process_id).failed_reason == "No input within 0s");
    CHECK(w.stored(g.process_id).last_status == process_status::suspended);

    // Retrying the timed-out wait asks for the input again.
    auto again = w.eng->resume(f.process_id, json::array());
    CHECK(again.process.last_status == process_status::suspended);
    auto done = w.eng->resume(f.process_id, json::array({{{"approved", true}}}));
    CHECK(done.process.last_status == process_status::completed);
}

TEST_CASE(
    "engine pause: processes stop between steps, starts and resumes are refused, unpause "
    "continues") {
    world w;
    CHECK(w.eng->status() == engine_status::running);
    auto p = w.start("paused");
    CHECK(p.last_status == process_status::running);
    auto stored = w.stored(p.process_id);
    CHECK(stored.last_status == process_status::running);
    CHECK(stored.owner.empty());
    CHECK(w.rows(p.process_id) == rows_t{"Start success", "Pause the engine success"});
    CHECK(w.eng->status() == engine_status::paused);

    const auto* plain = w.cat->plan("plain");
    auto form = w.eng->post_form(*plain, json::array({json::object()}));
    CHECK_THROWS_WITH(w.eng->start(*plain, form.state), engine_locked_message);
    CHECK(w.refusal_of(p.process_id) == engine_locked_message);

    auto continued = w.eng->unpause();
    REQUIRE(continued.size() == 1);
    CHECK(continued[0].last_status == process_status::completed);
    CHECK(w.eng->status() == engine_status::running);
    CHECK(w.rows(p.process_id).back() == "Done complete");
}

TEST_CASE("a running process whose owner died is orphaned and resume takes it over") {
    world w;
    auto p = w.start("paused");
    w.db->begin();
    w.db->set_global_lock(false);
    auto row = w.stored(p.process_id);
    row.owner = fmt::format("{}:{}", host_name(), getppid());  // alive
    row.heartbeat_at = "2000-01-01T00:00:00.000000+00:00";
    w.db->update_process(row);
    w.db->commit();
    // On this host a live owner is trusted whatever its heartbeat.
    CHECK_FALSE(w.eng->orphaned(w.stored(p.process_id)));
    CHECK(w.refusal_of(p.process_id) == "Resuming a running workflow is not possible");

    row.owner = fmt::format("{}:{}", host_name(), dead_pid());
    w.db->begin();
    w.db->update_process(row);
    w.db->commit();
    CHECK(w.eng->orphaned(w.stored(p.process_id)));
    auto out = w.eng->resume(p.process_id, json::array());
    CHECK(out.process.last_status == process_status::completed);
    CHECK(w.rows(p.process_id) == rows_t{"Start success", "Pause the engine success",
                                         "Note after the pause success", "Done complete"});
}

TEST_CASE("an owner on another host is orphaned only after the heartbeat timeout") {
    world w;
    auto p = w.start("paused");
    w.db->begin();
    w.db->set_global_lock(false);
    auto row = w.stored(p.process_id);
    row.owner = "another-host.invalid:1";
    row.heartbeat_at = now_iso();
    w.db->update_process(row);
    w.db->commit();
    CHECK_FALSE(w.eng->orphaned(w.stored(p.process_id)));
    CHECK(w.refusal_of(p.process_id) == "Resuming a running workflow is not possible");
    row.heartbeat_at = "2000-01-01T00:00:00.000000+00:00";
    w.db->begin();
    w.db->update_process(row);
    w.db->commit();
    CHECK(w.eng->orphaned(w.stored(p.process_id)));
    CHECK(w.eng->resume(p.process_id, json::array()).process.last_status == process_status::completed);
}

TEST_CASE("a process taken over or aborted meanwhile is not continued by its old runner") {
    world w;
    auto p = w.start("gated");
    auto stale = w.stored(p.process_id);
    w.eng->abort(stale);
    // The old runner's view still says suspended; its next step must not run.
    auto r = w.eng->recover(stale);
    auto out = w.eng->run(stale, r);
    CHECK(out.last_status == process_status::aborted);
    CHECK(w.rows(p.process_id).back() == "User Aborted abort");
}

TEST_CASE(
    "a workflow edited while a process is in flight: a matching prefix is mapped, a changed one "
    "refused") {
    world w;
    auto v1 = w.dir.file("v1/w.wf", R"(
form approval_form {
    approved: bool
}
form other_form {
    reason: str
}
workflow edited {
    description "Edited"
    target SYSTEM
    steps init >> note("one") >> input(approval_form) >> note("two") >> done
}
)");
    w.reopen({v1});
    auto kept = w.start("edited");
    auto changed = w.start("edited");
    auto reform = w.start("edited");
    REQUIRE(kept.last_status == process_status::suspended);

    // Steps added after the executed ones: the process maps onto the new definition.
    auto appended = w.dir.file("v2/w.wf", R"(
form approval_form {
    approved: bool
}
form other_form {
    reason: str
}
workflow edited {
    description "Edited"
    target SYSTEM
    steps init >> note("one") >> input(approval_form) >> note("two") >> note("three") >> done
}
)");
    w.reopen({appended});
    auto out = w.eng->resume(kept.process_id, json::array({{{"approved", true}}}));
    CHECK(out.process.last_status == process_status::completed);
    CHECK(w.rows(kept.process_id).at(5) == "Note three success");
    CHECK(w.stored(kept.process_id).definition == w.cat->plan("edited")->definition);

    // A step inserted before the executed ones: refused, naming the step.
    auto inserted = w.dir.file("v3/w.wf", R"(
form approval_form {
    approved: bool
}
form other_form {
    reason: str
}
workflow edited {
    description "Edited"
    target SYSTEM
    steps init >> note("zero") >> note("one") >> input(approval_form) >> note("two") >> done
}
)");
    w.reopen({inserted});
    auto before = w.rows(changed.process_id);
    auto why = w.refusal_of(changed.process_id, json::array({{{"approved", true}}}));
    CHECK_THAT(why, Catch::Contains("has changed since process " + changed.process_id));
    CHECK_THAT(why, Catch::Contains("step 2 was 'note({\"value\":\"one\"})'"));
    CHECK_THAT(why, Catch::Contains("'note({\"value\":\"zero\"})'"));
    CHECK(w.rows(changed.process_id) == before);

    // The input the process waits for was replaced by another form: refused.
    auto other = w.dir.file("v4/w.wf", R"(
form approval_form {
    approved: bool
}
form other_form {
    reason: str
}
workflow edited {
    description "Edited"
    target SYSTEM
    steps init >> note("one") >> input(other_form) >> note("two") >> done
}
)");
    w.reopen({other});
    CHECK_THAT(w.refusal_of(reform.process_id, json::array({{{"reason", "x"}}})),
               Catch::Contains("step 3 was 'input(approval_form)'"));
}

TEST_CASE("two engines racing to terminate one subscription: exactly one gets it") {
    world w({WFRUN_SOURCE_DIR "/workflows"});
    const auto* create = w.cat->plan("create_user_group");
    const auto* terminate = w.cat->plan("terminate_user_group");
    std::string product;
    for (const auto& p : w.db->products())
        if (p.name == "User Group") product = p.product_id;
    for (int round = 0; round < 10; ++round) {
        auto form = w.eng->post_form(
            *create,
            json::array({{{"product", product}}, {{"group_name", fmt::format("G{}", round)}}}));
        auto created = w.eng->start(*create, form.state);
        REQUIRE(created.last_status == process_status::completed);
        auto group = w.db->process_subscriptions(created.process_id).at(0);

        std::atomic<int> completed{0}, refused{0}, other{0};
        auto race = [&] {
            sqlite_store db(w.dir.sub("wfrun.db"));
            db.run_schema(w.steps.schemas());
            db.sync_catalog(w.cat->model);
            engine eng(db, *w.cat, w.steps);
            auto outcome = eng.post_form(
                *terminate, json::array({{{"subscription_id", group}}, json::object()}));
            if (outcome.k == form_outcome::kind::refused) {
                ++refused;
                return;
            }
            try {
                auto p = eng.start(*terminate, outcome.state);
                (p.last_status == process_status::completed ? completed : other)++;
            } catch (const refusal& e) {
                (std::string(e.what()).find("This workflow cannot be started: ") == 0 ? refused
                                                                                      : other)++;
            }
        };
        auto racer = [&] {
            try {
                race();
            } catch (const std::exception&) {  // any other error fails the round
                ++other;
            }
        };
        std::thread a(racer), b(racer);
        a.join();
        b.join();
        CHECK(completed == 1);
        CHECK(refused == 1);
        CHECK(other == 0);
    }
}
