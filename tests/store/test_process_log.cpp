// Conformance: process_log.hpp on one connection. Processes and their steps round-trip in order,
// states are stored as json::dump() text, a claim is a compare-and-set on status, owner and
// epoch, and a holder's write is fenced by its epoch. (The same under concurrent connections is
// in test_concurrency.cpp.)
#include "tests/store/fixtures.hpp"

#include <limits>

using namespace wfrun;
using namespace wfrun::conformance;

TEST_CASE("processes and their steps round-trip in order", "[store][process_log]") {
    WFRUN_EACH_BACKEND(db, s);
    s.sync_catalog(tutorial_model());
    json group = make_group(s);

    process_row p;
    p.process_id = new_uuid();
    p.workflow_name = "create_user_group";
    p.target = workflow_target::create;
    p.last_status = process_status::created;
    p.started_at = "2026-01-01T00:00:00.000000+00:00";
    p.created_by = "alice";
    p.definition = "abc123";
    s.insert_process(p);

    auto got = s.process(p.process_id);
    REQUIRE(got);
    CHECK(got->workflow_name == "create_user_group");
    CHECK(got->target == workflow_target::create);
    CHECK(got->assignee == "SYSTEM");
    CHECK(got->last_step.empty());
    CHECK(got->last_modified_at == p.started_at);
    CHECK(got->definition == "abc123");
    CHECK(count(s,
                "processes p JOIN workflows w ON w.workflow_id = p.workflow_id "
                "WHERE w.name = 'create_user_group'") == 1);
    CHECK_FALSE(s.process("nope"));

    std::vector<std::int64_t> seqs;
    const char* names[] = {"Start", "Create subscription", "Done"};
    for (int i = 0; i < 3; ++i) {
        step_row st;
        st.process_id = p.process_id;
        st.name = names[i];
        st.step_key = std::to_string(i);
        st.status = i == 2 ? step_status::complete : step_status::success;
        st.state = {{"process_id", p.process_id}, {"i", i}, {"nested", {{"x", {1, 2.5, "y"}}}}};
        st.created_by = "alice";
        seqs.push_back(s.insert_step(st));
    }
    CHECK(seqs[0] < seqs[1]);
    CHECK(seqs[1] < seqs[2]);
    auto steps = s.steps(p.process_id);
    REQUIRE(steps.size() == 3);
    for (int i = 0; i < 3; ++i) {
        CHECK(steps[i].seq == seqs[i]);
        CHECK(steps[i].name == names[i]);
        CHECK(steps[i].step_key == std::to_string(i));
        CHECK(steps[i].state.at("i") == i);
        CHECK(steps[i].state.at("nested").at("x") == json{1, 2.5, "y"});
        CHECK(steps[i].step_id.size() == 36);
        CHECK_FALSE(steps[i].completed_at.empty());
        CHECK(steps[i].started_at == steps[i].completed_at);
    }
    CHECK(s.steps("nope").empty());

    p.last_status = process_status::failed;
    p.last_step = "Create subscription";
    p.failed_reason = "boom";
    p.traceback = "trace";
    p.assignee = "NOC";
    p.owner = "host:42";
    p.heartbeat_at = now_iso();
    s.update_process(p);
    got = s.process(p.process_id);
    CHECK(got->last_status == process_status::failed);
    CHECK(got->failed_reason == "boom");
    CHECK(got->traceback == "trace");
    CHECK(got->assignee == "NOC");
    CHECK(got->owner == "host:42");
    CHECK(got->last_modified_at > p.started_at);
    p.last_modified_at = "2026-01-01T00:00:01.000000+00:00";
    s.update_process(p);
    CHECK(s.process(p.process_id)->last_modified_at == p.last_modified_at);
    p.failed_reason.clear();
    s.update_process(p);
    CHECK(s.process(p.process_id)->failed_reason.empty());
    process_row unknown;
    unknown.process_id = "nope";
    CHECK_THROWS_AS(s.update_process(unknown), store_error);

    process_row q = p;
    q.process_id = new_uuid();
    q.workflow_name = "modify_user_group";
    q.last_status = process_status::completed;
    q.started_at = "2026-01-02T00:00:00.000000+00:00";
    s.insert_process(q);
    auto all = s.processes({});
    REQUIRE(all.size() == 2);
    CHECK(all[0].process_id == q.process_id);  // newest first
    CHECK(s.processes(proc_filter({}, {}, 1)).size() == 1);
    CHECK(s.processes(proc_filter(process_status::failed, {})).at(0).process_id == p.process_id);
    CHECK(s.processes(proc_filter({}, "modify_user_group")).at(0).process_id == q.process_id);
    CHECK(s.processes(proc_filter(process_status::failed, "modify_user_group")).empty());

    s.insert_input_state(p.process_id, {{"group_name", "Group One"}}, "initial_state");
    s.insert_input_state(p.process_id, {{"confirm", true}}, "user_input");
    CHECK(s.last_input_state(p.process_id) == json{{"confirm", true}});
    CHECK_FALSE(s.last_input_state(q.process_id));
    CHECK_THROWS_AS(s.insert_input_state(p.process_id, {}, "whatever"), store_error);

    const std::string gid = group["subscription_id"];
    s.link_process_subscription(p.process_id, gid, workflow_target::create);
    s.link_process_subscription(p.process_id, gid, workflow_target::create);  // once is enough
    s.link_process_subscription(q.process_id, gid, workflow_target::system);
    CHECK(s.process_subscriptions(p.process_id) == std::vector<std::string>{gid});
    auto procs = s.subscription_processes(gid);
    REQUIRE(procs.size() == 2);
    CHECK(procs[0].process_id == q.process_id);

    CHECK_FALSE(s.global_lock());
    s.set_global_lock(true);
    CHECK(s.global_lock());
    s.set_global_lock(false);
    CHECK_FALSE(s.global_lock());
}

TEST_CASE("a step's state is stored as exactly the text json::dump() writes",
          "[store][process_log]") {
    WFRUN_EACH_BACKEND(db, s);
    s.sync_catalog(tutorial_model());
    process_row p;
    p.process_id = new_uuid();
    p.workflow_name = "create_user_group";
    p.last_status = process_status::running;
    s.insert_process(p);
    // Plain and escaped strings, UTF-8, control characters, every kind of number, nesting.
    json state = {
        {"plain", "Group One"},
        {"quote \"and\" back\\slash", "tab\there\nnew line"},
        {"utf8", "caf\u00e9 \xf0\x9f\x98\x80"},
        {"control", std::string("a\x01"
                                "b\x1f",
                                4)},
        {"del", "\x7f"},
        {"ints", {0, -1, 42, std::numeric_limits<std::int64_t>::min()}},
        {"unsigned", std::numeric_limits<std::uint64_t>::max()},
        {"floats", {0.1, -2.5, 1e300, 3.0}},
        {"empty", {{"object", json::object()}, {"array", json::array()}, {"null", nullptr}}},
        {"flags", {true, false}}};
    step_row st;
    st.process_id = p.process_id;
    st.name = "Start";
    st.status = step_status::success;
    st.state = state;
    s.insert_step(st);
    auto rows = s.sql().query("SELECT state FROM process_steps WHERE pid = ?", {p.process_id});
    REQUIRE(rows.size() == 1);
    CHECK(rows.at(0).at("state").get<std::string>() == state.dump());
    CHECK(s.steps(p.process_id).at(0).state == state);
}

TEST_CASE("a claim is a compare-and-set on status, owner and epoch", "[store][process_log]") {
    WFRUN_EACH_BACKEND(db, s);
    s.sync_catalog(tutorial_model());
    process_row p = new_process("create_user_group", process_status::suspended);
    p.owner = "";
    s.insert_process(p);
    auto stored = s.process(p.process_id);
    REQUIRE(stored);
    CHECK(stored->epoch == 1);  // the creator holds a new process
    CHECK_THROWS_AS(s.insert_process(p), store_error);

    // Any expectation that is not the row's loses, and writes nothing.
    CHECK_FALSE(s.claim_process(p.process_id, process_status::failed, "", 1, "me:1", ""));
    CHECK_FALSE(s.claim_process(p.process_id, process_status::suspended, "other:2", 1, "me:1", ""));
    CHECK_FALSE(s.claim_process(p.process_id, process_status::suspended, "", 2, "me:1", ""));
    CHECK_FALSE(s.claim_process("nope", process_status::suspended, "", 1, "me:1", ""));
    CHECK(s.process(p.process_id)->last_status == process_status::suspended);
    CHECK(s.process(p.process_id)->epoch == 1);

    const std::string beat = "2026-01-01T00:00:00.000000+00:00";
    auto epoch = s.claim_process(p.process_id, process_status::suspended, "", 1, "me:1", beat);
    REQUIRE(epoch);
    CHECK(*epoch == 2);
    auto claimed = s.process(p.process_id);
    CHECK(claimed->last_status == process_status::running);
    CHECK(claimed->owner == "me:1");
    CHECK(claimed->heartbeat_at == beat);
    CHECK(claimed->epoch == 2);
    // The same expectation again: already taken.
    CHECK_FALSE(s.claim_process(p.process_id, process_status::suspended, "", 1, "me:1", beat));
    // Taken over from its holder, with what was read.
    auto again = s.claim_process(p.process_id, process_status::running, "me:1", 2, "you:2", "");
    REQUIRE(again);
    CHECK(*again == 3);
    CHECK(s.process(p.process_id)->owner == "you:2");
}

TEST_CASE("a holder's write commits only at the epoch it claimed", "[store][process_log]") {
    WFRUN_EACH_BACKEND(db, s);
    s.sync_catalog(tutorial_model());
    process_row p = new_process();
    p.owner = "me:1";
    s.insert_process(p);
    p = *s.process(p.process_id);

    p.last_step = "Start";
    p.last_status = process_status::running;
    CHECK(s.update_claimed_process(p));
    CHECK(s.process(p.process_id)->last_step == "Start");
    CHECK(s.process(p.process_id)->epoch == p.epoch);  // a write is not a claim

    process_row stale = p;
    REQUIRE(s.claim_process(p.process_id, process_status::running, "me:1", p.epoch, "you:2", ""));
    stale.last_step = "Stale";
    CHECK_FALSE(s.update_claimed_process(stale));
    CHECK(s.process(p.process_id)->last_step == "Start");
    CHECK(s.process(p.process_id)->owner == "you:2");
    process_row unknown = p;
    unknown.process_id = "nope";
    CHECK_FALSE(s.update_claimed_process(unknown));

    // update_process() is not fenced: it writes whatever the epoch, and leaves the epoch alone.
    const auto epoch = s.process(p.process_id)->epoch;
    stale.last_status = process_status::failed;
    s.update_process(stale);
    CHECK(s.process(p.process_id)->last_status == process_status::failed);
    CHECK(s.process(p.process_id)->epoch == epoch);
}

TEST_CASE("a stale holder's step rolls back whole", "[store][process_log]") {
    WFRUN_EACH_BACKEND(db, s);
    s.sync_catalog(tutorial_model());
    s.run_schema({"CREATE TABLE IF NOT EXISTS provisioned (id INTEGER PRIMARY KEY, name TEXT)"});
    process_row p = new_process();
    p.owner = "me:1";
    s.insert_process(p);
    p = *s.process(p.process_id);
    REQUIRE(s.claim_process(p.process_id, process_status::running, "me:1", p.epoch, "you:2", ""));

    // The step as the engine writes it: its own SQL, its row, then the fenced process write.
    s.begin();
    s.sql().exec("INSERT INTO provisioned (id, name) VALUES (?, ?)", {1, "x"});
    s.insert_step(new_step(p, "Provision"));
    p.last_step = "Provision";
    const bool ours = s.update_claimed_process(p);
    if (ours) {
        s.commit();
    } else {
        s.rollback();
    }
    CHECK_FALSE(ours);
    CHECK(s.steps(p.process_id).empty());
    CHECK(count(s, "provisioned") == 0);
    CHECK(s.process(p.process_id)->owner == "you:2");
}
