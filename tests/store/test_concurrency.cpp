// Conformance: the concurrency promises of the store headers, with several connections on
// threads of their own. Each race is run over several rounds and checked by an invariant that a
// backend without the promised conditional write or lock would break: two claims of one process
// (exactly one wins), holders racing for a process (a stale epoch never commits a step), two
// admissions on one subscription (one wins), and set-in-sync racing a start (a live process
// always finds its subscription out of sync). Catch's assertions are made on the main thread
// only; the threads report what they saw.
#include "tests/store/fixtures.hpp"

#include <atomic>
#include <latch>
#include <map>
#include <mutex>
#include <thread>

using namespace wfrun;
using namespace wfrun::conformance;

namespace {

constexpr int threads = 4;

// Runs `body(i, connection)` on `n` threads at once, each with its own connection opened before
// the start. Returns the error messages the threads ran into (empty when none).
template <class F>
std::vector<std::string> race(test_database& db, int n, F body) {
    std::vector<std::unique_ptr<store>> connections;
    for (int i = 0; i < n; ++i) connections.push_back(db.connect());
    std::latch start(n);
    std::mutex m;
    std::vector<std::string> errors;
    std::vector<std::thread> running;
    for (int i = 0; i < n; ++i) {
        running.emplace_back([&, i] {
            start.arrive_and_wait();
            try {
                body(i, *connections[static_cast<std::size_t>(i)]);
            } catch (const std::exception& e) {
                if (connections[static_cast<std::size_t>(i)]->in_transaction()) {
                    connections[static_cast<std::size_t>(i)]->rollback();
                }
                std::lock_guard lock(m);
                errors.emplace_back(e.what());
            }
        });
    }
    for (auto& t : running) t.join();
    return errors;
}

bool live(const process_row& p) {
    return !p.is_task && p.last_status != process_status::completed &&
           p.last_status != process_status::aborted;
}

bool held_by_live_process(store& s, const std::string& subscription_id) {
    for (const auto& p : s.subscription_processes(subscription_id)) {
        if (live(p)) return true;
    }
    return false;
}

// The admission rule as engine::start applies it: under the subscription's lock, no live
// process may hold it; then the process is created and linked. `lock_step` also takes the
// subscription out of sync, as a workflow's first step does. True when this one started.
bool admit(store& s, const std::string& subscription_id, const std::string& owner, bool lock_step) {
    s.begin();
    try {
        if (!s.lock_subscription(subscription_id)) throw store_error("no subscription");
        auto sub = s.subscription(subscription_id);
        if (!sub->insync || held_by_live_process(s, subscription_id)) {
            s.rollback();
            return false;
        }
        process_row p = new_process("modify_user_group", process_status::running);
        p.owner = owner;
        s.insert_process(p);
        s.link_process_subscription(p.process_id, subscription_id, workflow_target::modify);
        if (lock_step) s.set_insync(subscription_id, false);
        s.commit();
        return true;
    } catch (...) {
        s.rollback();
        throw;
    }
}

// The set-in-sync rule: under the subscription's lock, only when no live process holds it.
bool set_in_sync(store& s, const std::string& subscription_id) {
    s.begin();
    try {
        s.lock_subscription(subscription_id);
        if (held_by_live_process(s, subscription_id)) {
            s.rollback();
            return false;
        }
        s.set_insync(subscription_id, true);
        s.commit();
        return true;
    } catch (...) {
        s.rollback();
        throw;
    }
}

}  // namespace

TEST_CASE("two claims of one process racing: exactly one wins", "[store][concurrency]") {
    WFRUN_EACH_BACKEND(db, s);
    WFRUN_NEEDS_SHARED_DATABASE(db);
    s.sync_catalog(tutorial_model());
    for (int round = 0; round < 10; ++round) {
        process_row p = new_process("create_user_group", process_status::suspended);
        s.insert_process(p);
        const auto read = *s.process(p.process_id);
        std::vector<std::optional<std::int64_t>> won(threads);
        // Half of them claim in a transaction of their own, half as a single statement.
        auto errors = race(*db, threads, [&](int i, store& c) {
            const std::string owner = "host:" + std::to_string(i);
            if (i % 2 == 0) {
                c.begin();
                won[static_cast<std::size_t>(i)] = c.claim_process(
                    read.process_id, process_status::suspended, "", read.epoch, owner, "");
                c.commit();
            } else {
                won[static_cast<std::size_t>(i)] = c.claim_process(
                    read.process_id, process_status::suspended, "", read.epoch, owner, "");
            }
        });
        INFO("round " << round);
        CHECK(errors.empty());
        int winners = 0;
        std::string winner;
        for (int i = 0; i < threads; ++i) {
            if (!won[static_cast<std::size_t>(i)]) continue;
            ++winners;
            winner = "host:" + std::to_string(i);
            CHECK(*won[static_cast<std::size_t>(i)] == read.epoch + 1);
        }
        CHECK(winners == 1);
        auto after = s.process(p.process_id);
        CHECK(after->owner == winner);
        CHECK(after->epoch == read.epoch + 1);
        CHECK(after->last_status == process_status::running);
    }
}

TEST_CASE("holders racing for a process: a stale epoch never commits a step",
          "[store][concurrency]") {
    WFRUN_EACH_BACKEND(db, s);
    WFRUN_NEEDS_SHARED_DATABASE(db);
    s.sync_catalog(tutorial_model());
    process_row p = new_process("create_user_group", process_status::running);
    p.owner = "nobody";
    s.insert_process(p);

    std::mutex m;
    std::map<std::int64_t, int> claimed_by;  // epoch -> thread
    std::atomic<int> committed = 0;
    // Each thread takes the process over from whoever holds it, then writes steps as the engine
    // does until its write is refused, again and again.
    auto errors = race(*db, threads, [&](int i, store& c) {
        const std::string owner = "host:" + std::to_string(i);
        for (int attempt = 0; attempt < 8; ++attempt) {
            auto now = c.process(p.process_id);
            auto epoch = c.claim_process(now->process_id, now->last_status, now->owner, now->epoch,
                                         owner, "");
            if (!epoch) continue;
            {
                std::lock_guard lock(m);
                claimed_by[*epoch] = i;
            }
            process_row mine = *now;
            mine.owner = owner;
            mine.epoch = *epoch;
            mine.last_status = process_status::running;
            for (int step = 0; step < 4; ++step) {
                c.begin();
                c.insert_step(new_step(mine, "Step", {{"epoch", *epoch}, {"writer", i}}));
                mine.last_step = "Step " + std::to_string(step);
                if (!c.update_claimed_process(mine)) {
                    c.rollback();
                    break;
                }
                c.commit();
                ++committed;
            }
        }
    });
    CHECK(errors.empty());
    const auto rows = s.steps(p.process_id);
    CHECK(rows.size() == static_cast<std::size_t>(committed.load()));
    std::int64_t last_epoch = 0;
    for (const auto& row : rows) {
        const auto epoch = row.state.at("epoch").get<std::int64_t>();
        INFO("step " << row.seq << " written at epoch " << epoch << " after " << last_epoch);
        CHECK(epoch >= last_epoch);  // nothing commits under an epoch that was claimed away
        CHECK(claimed_by.at(epoch) == row.state.at("writer").get<int>());
        last_epoch = epoch;
    }
    CHECK(s.process(p.process_id)->epoch == static_cast<std::int64_t>(claimed_by.size()) + 1);
}

TEST_CASE("two admissions on one subscription: one wins", "[store][concurrency]") {
    WFRUN_EACH_BACKEND(db, s);
    WFRUN_NEEDS_SHARED_DATABASE(db);
    s.sync_catalog(tutorial_model());
    for (int round = 0; round < 8; ++round) {
        const std::string sid =
            make_group(s, "Group " + std::to_string(round), round)["subscription_id"];
        std::vector<char> started(threads, 0);
        auto errors = race(*db, threads, [&](int i, store& c) {
            started[static_cast<std::size_t>(i)] =
                admit(c, sid, "host:" + std::to_string(i), false);
        });
        INFO("round " << round);
        CHECK(errors.empty());
        CHECK(std::count(started.begin(), started.end(), 1) == 1);
        CHECK(s.subscription_processes(sid).size() == 1);
    }
}

TEST_CASE("set-in-sync racing a start: a live process never finds its subscription in sync",
          "[store][concurrency]") {
    WFRUN_EACH_BACKEND(db, s);
    WFRUN_NEEDS_SHARED_DATABASE(db);
    s.sync_catalog(tutorial_model());
    for (int round = 0; round < 8; ++round) {
        const std::string sid =
            make_group(s, "Group " + std::to_string(round), round)["subscription_id"];
        bool started = false;
        bool synced = false;
        auto errors = race(*db, 2, [&](int i, store& c) {
            if (i == 0) {
                started = admit(c, sid, "host:0", true);
            } else {
                synced = set_in_sync(c, sid);
            }
        });
        INFO("round " << round << ": started " << started << ", set in sync " << synced);
        CHECK(errors.empty());
        const bool held = held_by_live_process(s, sid);
        CHECK(held == started);
        // Either the start came first (and set-in-sync saw its process and refused) or
        // set-in-sync did (and the start then took the subscription out of sync).
        CHECK_FALSE((held && s.subscription(sid)->insync));
        CHECK(started);  // the subscription was in sync, so the start may always go
    }
}
