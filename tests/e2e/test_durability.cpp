// End to end: resume, retries, the engine pause, racing starts and killed wfrun processes,
// through build/wfrun against a temporary SQLite file.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"

using e2e::sandbox;
using nlohmann::json;

namespace {

std::string terminate_input(const std::string& group) {
    return json::array({{{"subscription_id", group}}, json::object()}).dump();
}

// The tutorial catalog plus `extra`, written into the sandbox; pass the returned variable as env.
std::string catalog_with(const sandbox& s, const std::string& extra) {
    namespace fs = std::filesystem;
    auto dir = fs::path(s.dir()) / "catalog";
    fs::create_directories(dir);
    fs::copy(fs::path(WFRUN_SOURCE_DIR) / "workflows", dir,
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    std::ofstream(dir / "extra.wf") << extra;
    return "WFRUN_WORKFLOWS=" + dir.string();
}

const char* extra_workflows = R"(
form approval_form {
    approved: bool
}

workflow approved_termination {
    description  "Terminate a user group after approval"
    target       TERMINATE
    product_type UserGroup

    steps init
        >> store_process_subscription(Target.TERMINATE)
        >> unsync
        >> input(approval_form)
        >> if approved { deprovision_user_group >> set_status(SubscriptionLifecycle.TERMINATED) }
        >> resync
        >> done
}

workflow retried_termination {
    description  "Terminate a user group, retrying the deprovisioning"
    target       TERMINATE
    product_type UserGroup

    steps init
        >> store_process_subscription(Target.TERMINATE)
        >> unsync
        >> deprovision_user_group retry(attempts: 3, delay: 0s, then: fail)
        >> set_status(SubscriptionLifecycle.TERMINATED)
        >> resync
        >> done
}
)";

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Runs wfrun in the sandbox with its own output files, so that several can run at once.
json processes_of(const sandbox& s, const std::string& group) {
    return s.query(
        "SELECT p.pid, p.last_status FROM processes p JOIN processes_subscriptions ps ON ps.pid = "
        "p.pid "
        "WHERE ps.subscription_id = '" +
        group + "' AND p.workflow_name = 'terminate_user_group'");
}

}  // namespace

TEST_CASE(
    "resume of a suspended process: the form, a field error that changes nothing, then "
    "completion") {
    sandbox s;
    auto env = catalog_with(s, extra_workflows);
    auto group = s.create_group("Group One");
    auto r = s.run({"start", "approved_termination", "--json", "--input",
                    json::array({{{"subscription_id", group}}}).dump()},
                   "", {env});
    REQUIRE(r.code == 1);
    REQUIRE(r.json()["status"] == "suspended");
    auto pid = r.json()["id"].get<std::string>();

    auto show = s.run({"show", pid, "--json"}, "", {env}).json();
    CHECK(show["form"]["properties"]["approved"]["type"] == "boolean");
    CHECK(s.run({"show", pid}, "", {env}).out.find("Waiting for input") != std::string::npos);

    auto no_input = s.run({"resume", pid}, "", {env});
    CHECK(no_input.code == 3);
    CHECK(no_input.json()["form"]["required"] == json::array({"approved"}));

    auto rows =
        s.query("SELECT count(*) AS n FROM process_steps WHERE pid = '" + pid + "'")[0]["n"];
    auto bad = s.run({"resume", pid, "--input", R"([{"approved": "perhaps"}])"}, "", {env});
    CHECK(bad.code == 2);
    CHECK(bad.err.find("approved") != std::string::npos);
    CHECK(s.query("SELECT count(*) AS n FROM process_steps WHERE pid = '" + pid + "'")[0]["n"] ==
          rows);
    CHECK(s.query("SELECT last_status FROM processes WHERE pid = '" + pid +
                  "'")[0]["last_status"] == "suspended");

    auto ok = s.run({"resume", pid, "--json", "--input", "-"}, R"([{"approved": true}])", {env});
    CHECK(ok.code == 0);
    CHECK(ok.json()["status"] == "completed");
    CHECK(s.query("SELECT status FROM subscriptions WHERE subscription_id = '" + group +
                  "'")[0]["status"] == "terminated");
    auto again = s.run({"resume", pid}, "", {env});
    CHECK(again.code == 2);
    CHECK(again.err.find("Resuming a completed workflow is not possible") != std::string::npos);
}

TEST_CASE("a retry step goes waiting and resume --due brings it to completion") {
    sandbox s;
    auto env = catalog_with(s, extra_workflows);
    auto group = s.create_group("Group One");
    auto r = s.run({"start", "retried_termination", "--json", "--input",
                    json::array({{{"subscription_id", group}}}).dump()},
                   "", {env, "WFRUN_FAULT=deprovision_user_group=fail"});
    CHECK(r.code == 1);
    CHECK(r.json()["status"] == "waiting");
    auto pid = r.json()["id"].get<std::string>();
    auto still =
        s.run({"resume", "--due", "--json"}, "", {env, "WFRUN_FAULT=deprovision_user_group=fail"});
    CHECK(still.code == 0);
    CHECK(still.json()[0]["status"] == "waiting");
    auto due = s.run({"resume", "--due"}, "", {env});
    CHECK(due.code == 0);
    CHECK(due.out.find(pid + " retried_termination: retried, now completed") != std::string::npos);
    auto rows = s.query("SELECT name, status, state FROM process_steps WHERE pid = '" + pid +
                        "' ORDER BY seq");
    REQUIRE(rows.size() == 8);
    CHECK(rows[3]["status"] == "waiting");
    CHECK(json::parse(rows[3]["state"].get<std::string>())["retries"] == 1);
    CHECK(rows[4]["name"] == "Deprovision user group");
    CHECK(rows[4]["status"] == "success");
    CHECK(s.run({"resume", "--due"}, "", {env}).out == "Nothing is due.\n");
}

TEST_CASE("a failed terminate is retried by resume and keeps its failed row") {
    sandbox s;
    auto group = s.create_group("Group One");
    auto r = s.run({"start", "terminate_user_group", "--json", "--input", terminate_input(group)},
                   "", {"WFRUN_FAULT=deprovision_user_group=fail"});
    REQUIRE(r.json()["status"] == "failed");
    auto pid = r.json()["id"].get<std::string>();
    auto out = s.run({"resume", pid});
    CHECK(out.code == 0);
    auto rows = s.query("SELECT name || ' ' || status AS r FROM process_steps WHERE pid = '" + pid +
                        "' ORDER BY seq");
    CHECK(rows[3]["r"] == "Deprovision user group failed");
    CHECK(rows[4]["r"] == "Deprovision user group success");
    CHECK(s.query("SELECT * FROM provisioned_groups WHERE subscription_id = '" + group + "'")
              .empty());
}

TEST_CASE("engine pause refuses starts and resumes, engine resume unlocks") {
    sandbox s;
    auto group = s.create_group("Group One");
    CHECK(s.run({"engine", "status"}).out == "Engine RUNNING\n");
    auto paused = s.run({"engine", "pause", "--json"});
    CHECK(paused.code == 0);
    CHECK(paused.json()["global_status"] == "PAUSED");
    auto start = s.run({"start", "terminate_user_group", "--input", terminate_input(group)});
    CHECK(start.code == 2);
    CHECK(start.err.find("Engine is locked cannot accept changes on processes at this time") !=
          std::string::npos);
    CHECK(
        s.query("SELECT count(*) AS n FROM processes WHERE workflow_name = 'terminate_user_group'")
            [0]["n"] == 0);
    CHECK(s.run({"engine", "resume"}).out.find("Engine RUNNING") != std::string::npos);
    CHECK(s.run({"start", "terminate_user_group", "--input", terminate_input(group)}).code == 0);
}

TEST_CASE(
    "aborting a suspended process keeps the lock until set-in-sync, which names live holders") {
    sandbox s;
    auto env = catalog_with(s, extra_workflows);
    auto group = s.create_group("Group One");
    auto r = s.run({"start", "approved_termination", "--json", "--input",
                    json::array({{{"subscription_id", group}}}).dump()},
                   "", {env});
    auto pid = r.json()["id"].get<std::string>();
    auto sync = s.run({"set-in-sync", group}, "", {env});
    CHECK(sync.code == 2);
    CHECK(sync.err.find(pid) != std::string::npos);
    CHECK(s.run({"abort", pid}, "", {env}).code == 0);
    CHECK(s.query("SELECT insync FROM subscriptions WHERE subscription_id = '" + group +
                  "'")[0]["insync"] == 0);
    CHECK(s.run({"resume", pid, "--input", R"([{"approved": true}])"}, "", {env}).code == 2);
    CHECK(s.run({"set-in-sync", group}, "", {env}).code == 0);
}

TEST_CASE(
    "two wfrun starts racing on one subscription: one runs, the other gets the lock message") {
    sandbox s;
    for (int round = 0; round < 12; ++round) {
        auto group = s.create_group("Group " + std::to_string(round));
        e2e::result a, b;
        std::thread ta([&] {
            a = s.run({"start", "terminate_user_group", "--input", terminate_input(group)});
        });
        std::thread tb([&] {
            b = s.run({"start", "terminate_user_group", "--input", terminate_input(group)});
        });
        ta.join();
        tb.join();
        INFO("round " << round << "\na: " << a.code << " " << a.out << a.err << "\nb: " << b.code
                      << " " << b.out << b.err);
        CHECK(std::min(a.code, b.code) == 0);
        CHECK(std::max(a.code, b.code) == 2);
        const auto& refused = a.code == 2 ? a : b;
        // Usually the lock; the status message when the winner had already finished.
        bool lock = refused.err.find(
                        "This workflow cannot be started: Subscription already has a running "
                        "process or task") != std::string::npos;
        bool status = refused.err.find("because of the status it has") != std::string::npos;
        CHECK((lock || status));
        CHECK(a.err.find("database is locked") == std::string::npos);
        CHECK(b.err.find("database is locked") == std::string::npos);
        CHECK(processes_of(s, group).size() == 1);
    }
}

// A terminate that kills wfrun inside its `unsync_unchecked` step, only for the line that asks
// for it: WFRUN_FAULT's crash fires every time the step runs, so the step runs on one line only.
const char* crash_on_request = R"(
form crash_form {
    crash: bool = false
}

workflow crashable_termination {
    description  "Terminate a user group, crashing on request"
    target       TERMINATE
    product_type UserGroup
    form         crash_form

    steps init
        >> store_process_subscription(Target.TERMINATE)
        >> unsync
        >> deprovision_user_group
        >> set_status(SubscriptionLifecycle.TERMINATED)
        >> if crash { unsync_unchecked }
        >> resync
        >> done
}
)";

TEST_CASE("a crash in a batch loses the open group whole, never a committed process") {
    sandbox s;
    auto catalog = catalog_with(s, crash_on_request);
    std::vector<std::string> groups;
    for (int i = 1; i <= 4; ++i) groups.push_back(s.create_group("Group " + std::to_string(i)));
    {
        std::ofstream lines(s.dir() + "/terminate.jsonl");
        for (std::size_t i = 0; i < groups.size(); ++i)
            lines << json::array({{{"subscription_id", groups[i]}}, {{"crash", i == 3}}}).dump()
                  << '\n';
    }
    auto run_batch = [&](std::vector<std::string> options) {
        std::vector<std::string> args{"start", "crashable_termination", "--batch",
                                      "terminate.jsonl"};
        args.insert(args.end(), options.begin(), options.end());
        auto r = s.run(args, "", {catalog, "WFRUN_FAULT=unsync_unchecked=crash"});
        CHECK(r.code == 128 + 9);
        CHECK(s.query("PRAGMA integrity_check")[0]["integrity_check"] == "ok");
        return s.query(
            "SELECT pid, last_status FROM processes WHERE workflow_name = "
            "'crashable_termination' ORDER BY started_at");
    };
    auto subscription = [&](std::size_t i) {
        return s.query("SELECT status, insync FROM subscriptions WHERE subscription_id = '" +
                       groups[i] + "'")[0];
    };
    auto untouched = json{{"status", "active"}, {"insync", 1}};
    auto terminated = json{{"status", "terminated"}, {"insync", 1}};

    SECTION("one group for the whole batch: nothing of it is left") {
        // No time limit on the group, so that a slow machine does not commit it early.
        auto procs = run_batch({"--group-window", "3600000"});
        CHECK(procs.empty());
        for (std::size_t i = 0; i < groups.size(); ++i) CHECK(subscription(i) == untouched);
        CHECK(s.query("SELECT count(*) AS n FROM processes")[0]["n"] == 4);  // the creates
    }
    SECTION("--group-size 1: every process before the crash is committed and completed") {
        auto procs = run_batch({"--group-size", "1"});
        REQUIRE(procs.size() == 3);
        for (const auto& p : procs) CHECK(p["last_status"] == "completed");
        for (std::size_t i = 0; i < 3; ++i) CHECK(subscription(i) == terminated);
        CHECK(subscription(3) == untouched);
    }
    SECTION("--no-group-commit: the crashed process keeps the steps it committed") {
        auto procs = run_batch({"--no-group-commit"});
        REQUIRE(procs.size() == 4);
        for (std::size_t i = 0; i < 3; ++i) CHECK(procs[i]["last_status"] == "completed");
        CHECK(procs[3]["last_status"] == "running");
        CHECK(subscription(3) == json{{"status", "terminated"}, {"insync", 0}});
        auto ps = s.run({"ps", "--json"}, "", {catalog}).json();
        auto orphans = std::count_if(ps.begin(), ps.end(),
                                     [](const json& p) { return p.value("orphaned", false); });
        CHECK(orphans == 1);
    }
}

TEST_CASE(
    "wfrun killed at random steps and times: every orphan is resumed to exactly one termination") {
    sandbox s;
    const std::vector<std::string> chain = {"init",       "store_process_subscription",
                                            "unsync",     "deprovision_user_group",
                                            "set_status", "resync",
                                            "done"};
    std::mt19937 rng(20240611);
    std::vector<std::string> groups;
    for (int i = 0; i < 14; ++i) groups.push_back(s.create_group("Group " + std::to_string(i)));
    for (std::size_t i = 0; i < groups.size(); ++i) {
        if (i % 2 == 0) {
            // Killed by the fault inside a step, before its transaction commits.
            auto step = chain[rng() % chain.size()];
            auto r = s.run({"start", "terminate_user_group", "--input", terminate_input(groups[i])},
                           "", {"WFRUN_FAULT=" + step + "=crash"});
            CHECK(r.code == 128 + 9);
        } else {
            // SIGKILL from outside at a random moment while the steps are slowed down.
            std::string faults = "WFRUN_FAULT=";
            for (const auto& c : chain) faults += c + "=delay:15ms,";
            faults.pop_back();
            auto ms = 20 + rng() % 120;
            std::string cmd =
                "cd " + quote(s.dir()) + " && (env NO_COLOR=1 WFRUN_DB=" + quote(s.db()) +
                " WFRUN_WORKFLOWS=" + quote(std::string(WFRUN_SOURCE_DIR) + "/workflows") + " " +
                faults + " " + quote(WFRUN_BINARY) + " start terminate_user_group --input " +
                quote(terminate_input(groups[i])) +
                " </dev/null >/dev/null 2>&1 & pid=$!; sleep 0." +
                std::to_string(1000 + ms).substr(1) + "; kill -9 $pid 2>/dev/null; wait $pid)";
            // The subshell exits with wfrun's status: killed (137), or completed (0) when the
            // kill came after the last step.
            int status = std::system(cmd.c_str());
            REQUIRE(WIFEXITED(status));
            int code = WEXITSTATUS(status);
            INFO("wfrun exited with " << code);
            CHECK((code == 128 + 9 || code == 0));
        }
    }
    CHECK(s.query("PRAGMA integrity_check")[0]["integrity_check"] == "ok");

    // Bring every subscription to an end: resume orphans, start again where nothing was created.
    auto ps = s.run({"ps", "--json"}).json();
    for (const auto& p : ps)
        if (p["last_status"] == "running") CHECK(p["orphaned"] == true);
    CHECK(s.run({"ps"}).out.find("running (orphaned)") != std::string::npos);
    for (const auto& group : groups) {
        auto procs = processes_of(s, group);
        REQUIRE(procs.size() <= 1);
        if (procs.empty()) {
            CHECK(
                s.run({"start", "terminate_user_group", "--input", terminate_input(group)}).code ==
                0);
            continue;
        }
        auto pid = procs[0]["pid"].get<std::string>();
        if (procs[0]["last_status"] != "completed") {
            auto r = s.run({"resume", pid});
            INFO(r.out << r.err);
            CHECK(r.code == 0);
        }
    }

    for (const auto& group : groups) {
        INFO(group);
        auto sub = s.query("SELECT status, insync FROM subscriptions WHERE subscription_id = '" +
                           group + "'")[0];
        CHECK(sub["status"] == "terminated");
        CHECK(sub["insync"] == 1);
        CHECK(s.query("SELECT * FROM provisioned_groups WHERE subscription_id = '" + group + "'")
                  .empty());
        auto procs = processes_of(s, group);
        REQUIRE(procs.size() == 1);
        CHECK(procs[0]["last_status"] == "completed");
        auto pid = procs[0]["pid"].get<std::string>();
        CHECK(s.query("SELECT count(*) AS n FROM process_steps WHERE pid = '" + pid +
                      "' AND name = 'Deprovision user group' AND status = 'success'")[0]["n"] == 1);
        CHECK(
            s.query(
                "SELECT count(*) AS n FROM process_steps WHERE pid = '" + pid +
                "' AND name = 'Set subscription to ''terminated''' AND status = 'success'")[0]
                                                                                           ["n"] ==
            1);
    }
    CHECK(s.query("PRAGMA integrity_check")[0]["integrity_check"] == "ok");
}

namespace {

// The process of `workflow` as `ps --json` lists it, once `ready` holds for it (polled, up to a
// minute); null when it never does.
json wait_for_process(const sandbox& s, const std::string& workflow,
                      const std::function<bool(const json&)>& ready) {
    for (int i = 0; i < 1200; ++i) {
        auto r = s.run({"ps", "--json"});
        if (r.code == 0)
            for (const auto& p : r.json())
                if (p["workflow_name"] == workflow && ready(p)) return p;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return nullptr;
}

// Runs a terminate of `group` whose deprovisioning takes `delay`, in the background; returns once
// the process is inside that step.
struct slow_terminate {
    const sandbox& s;
    e2e::result outcome;
    std::thread runner;
    json process;

    slow_terminate(const sandbox& box, const std::string& group, const std::string& delay)
        : s(box) {
        runner = std::thread([this, group, delay] {
            outcome = s.run(
                {"start", "terminate_user_group", "--input", terminate_input(group), "--json"}, "",
                {"WFRUN_FAULT=deprovision_user_group=delay:" + delay});
        });
        process = wait_for_process(s, "terminate_user_group", [](const json& p) {
            return p["last_status"] == "running" && p["last_step"] == "Lock subscription";
        });
    }
    ~slow_terminate() {
        if (runner.joinable()) runner.join();
    }
    e2e::result finish() {
        runner.join();
        return outcome;
    }
    std::string id() const { return process["process_id"].get<std::string>(); }
    // The process's step rows as "name status" (not the steps still to come).
    std::vector<std::string> rows() const {
        std::vector<std::string> out;
        const json shown = s.run({"show", id(), "--json"}).json();
        for (const auto& step : shown["steps"])
            if (step["status"] != "pending")
                out.push_back(step["name"].get<std::string>() + " " +
                              step["status"].get<std::string>());
        return out;
    }
};

}  // namespace

TEST_CASE("a slow step holds up no one: reads answer, another subscription's terminate runs") {
    sandbox s;
    auto slow_group = s.create_group("Slow");
    auto other_group = s.create_group("Other");
    slow_terminate slow(s, slow_group, "8s");
    REQUIRE(!slow.process.is_null());

    auto ps = s.run({"ps"});
    CHECK(ps.code == 0);
    CHECK(s.run({"engine", "status"}).code == 0);
    CHECK(s.run({"subscriptions"}).code == 0);
    auto other =
        s.run({"start", "terminate_user_group", "--input", terminate_input(other_group), "--json"});
    INFO(other.err);
    CHECK(other.code == 0);
    CHECK(other.json()["status"] == "completed");
    // All of that happened while the slow step was still running.
    auto still = s.run({"show", slow.id(), "--json"}).json();
    CHECK(still["last_status"] == "running");
    CHECK(still["last_step"] == "Lock subscription");
    for (const auto* out : {&ps.err, &other.err})
        CHECK(out->find("database is locked") == std::string::npos);

    auto done = slow.finish();
    CHECK(done.code == 0);
    CHECK(done.json()["status"] == "completed");
}

TEST_CASE("abort during a slow step takes effect at once, and the step's work is not kept") {
    sandbox s;
    auto group = s.create_group("Aborted while busy");
    slow_terminate slow(s, group, "4s");
    REQUIRE(!slow.process.is_null());

    auto abort = s.run({"abort", slow.id()});
    INFO(abort.err);
    CHECK(abort.code == 0);
    CHECK(s.run({"show", slow.id(), "--json"}).json()["last_status"] == "aborted");
    slow.finish();  // the slow step ends and finds the process is no longer its own
    auto rows = slow.rows();
    REQUIRE(!rows.empty());
    CHECK(rows.back() == "User Aborted abort");
    CHECK(std::find(rows.begin(), rows.end(), "Deprovision user group success") == rows.end());
    // The deprovisioning was not committed: the group is still provisioned.
    CHECK(s.query("SELECT COUNT(*) AS n FROM provisioned_groups WHERE subscription_id = '" + group +
                  "'")[0]["n"] == 1);
}

TEST_CASE("engine pause during a slow step stops the process at the end of that step") {
    sandbox s;
    auto group = s.create_group("Paused while busy");
    slow_terminate slow(s, group, "4s");
    REQUIRE(!slow.process.is_null());

    auto pause = s.run({"engine", "pause"});
    INFO(pause.err);
    CHECK(pause.code == 0);
    slow.finish();
    auto shown = s.run({"show", slow.id(), "--json"}).json();
    CHECK(shown["last_status"] == "running");  // paused between steps, for engine resume
    auto rows = slow.rows();
    REQUIRE(!rows.empty());
    CHECK(rows.back() == "Deprovision user group success");  // the running step finished
    CHECK(s.run({"engine", "resume"}).code == 0);
    CHECK(s.run({"show", slow.id(), "--json"}).json()["last_status"] == "completed");
}
