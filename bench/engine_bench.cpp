// The engine benchmark: how many durable steps wfrun completes per second on the
// terminate_user_group shape, next to the floor (the same rows written by a bare loop of
// prepared statements in the same transactions), an in-memory store, and the peers' figures.
// It prints a table and, last, one JSON object with every figure of the run.
//
//   wfrun_engine_bench [--n N] [--peers FILE] [--rss N]
//
// --peers FILE reads the lines `../shared/bench/peers/run` prints (peer=... executions_per_s=...)
// and adds the ratios. --rss N runs N sequential create_user_group processes and prints the peak
// resident memory (the main run starts itself with --rss for 1,000 and 100,000).
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "interpreter/catalog.hpp"
#include "interpreter/engine.hpp"
#include "interpreter/sqlite_store.hpp"
#include "stdlib/builtin_steps.hpp"
#include "tutorial_steps.hpp"

using namespace wfrun;
namespace fs = std::filesystem;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

struct setup {
    registry steps;
    std::unique_ptr<catalog> cat;
    std::unique_ptr<sqlite_store> db;
    std::unique_ptr<engine> eng;
    std::string group_product;

    setup(const std::string& path, bool full) {
        register_stdlib(steps);
        tutorial::register_steps(steps);
        cat = load_catalog({WFRUN_SOURCE_DIR "/workflows"}, steps);
        if (!cat->ok()) throw std::runtime_error("the tutorial catalog does not load");
        sqlite_options o;
        o.synchronous_full = full;
        db = std::make_unique<sqlite_store>(path, o);
        db->run_schema(steps.schemas());
        db->sync_catalog(cat->model);
        eng = std::make_unique<engine>(*db, *cat, steps);
        for (const auto& p : db->products())
            if (p.name == "User Group") group_product = p.product_id;
    }

    process_row run(const std::string& workflow, const json& pages) {
        const auto* plan = cat->plan(workflow);
        auto outcome = eng->post_form(*plan, pages);
        if (outcome.k != form_outcome::kind::complete)
            throw std::runtime_error(fmt::format("{}: the form is not complete: {}", workflow, outcome.message));
        return eng->start(*plan, outcome.state);
    }

    std::string create_group(std::size_t i) {
        auto p = run("create_user_group",
                     json::array({{{"product", group_product}}, {{"group_name", fmt::format("Group {}", i)}}}));
        return db->process_subscriptions(p.process_id).at(0);
    }
};

struct figure {
    double executions_per_s = 0;
    double steps_per_s = 0;
    std::size_t state_bytes = 0;  // the size of the last step's state, for the floor
};

// N terminate_user_group processes on N existing groups.
figure durable(const std::string& path, bool full, std::size_t n) {
    setup s(path, full);
    std::vector<std::string> groups;
    for (std::size_t i = 0; i < n; ++i) groups.push_back(s.create_group(i));
    auto t0 = clock_type::now();
    std::size_t steps = 0;
    std::string last_pid;
    for (const auto& g : groups) {
        auto p = s.run("terminate_user_group", json::array({{{"subscription_id", g}}, json::object()}));
        if (p.last_status != "completed") throw std::runtime_error("a terminate did not complete: " + p.failed_reason);
        steps += 7;
        last_pid = p.process_id;
    }
    double secs = seconds_since(t0);
    figure f;
    f.executions_per_s = static_cast<double>(n) / secs;
    f.steps_per_s = static_cast<double>(steps) / secs;
    f.state_bytes = s.db->steps(last_pid).back().state.dump().size();
    return f;
}

// The rows a terminate writes, by a bare loop of prepared statements: the process row and its
// initial state, then per step one transaction with the step row (a state of the same size),
// the process row update and, where the step changes it, the subscription.
figure floor_loop(const std::string& path, bool full, std::size_t n, std::size_t state_bytes) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    auto exec = [&](const char* sql) { sqlite3_exec(db, sql, nullptr, nullptr, nullptr); };
    exec("PRAGMA journal_mode=WAL");
    exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE processes (pid TEXT PRIMARY KEY, workflow_name TEXT, last_status TEXT, last_step TEXT, "
         "started_at TEXT, last_modified_at TEXT)");
    exec("CREATE TABLE input_states (id INTEGER PRIMARY KEY, pid TEXT, input_state TEXT)");
    exec("CREATE TABLE process_steps (seq INTEGER PRIMARY KEY, stepid TEXT, pid TEXT, name TEXT, status TEXT, "
         "state TEXT, started_at TEXT, completed_at TEXT)");
    exec("CREATE INDEX process_steps_pid ON process_steps (pid, seq)");
    exec("CREATE TABLE subscriptions (subscription_id TEXT PRIMARY KEY, status TEXT, insync INTEGER, version INTEGER)");
    exec("CREATE TABLE processes_subscriptions (id INTEGER PRIMARY KEY, pid TEXT, subscription_id TEXT)");
    exec("CREATE TABLE provisioned_groups (subscription_id TEXT PRIMARY KEY, group_id INTEGER)");
    std::vector<std::string> subs;
    exec("BEGIN");
    for (std::size_t i = 0; i < n; ++i) {
        subs.push_back(new_uuid());
        exec(fmt::format("INSERT INTO subscriptions VALUES ('{}', 'active', 1, 1)", subs.back()).c_str());
        exec(fmt::format("INSERT INTO provisioned_groups VALUES ('{}', {})", subs.back(), i).c_str());
    }
    exec("COMMIT");
    auto prepare = [&](const char* sql) {
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr);
        return st;
    };
    auto* begin = prepare("BEGIN IMMEDIATE");
    auto* commit = prepare("COMMIT");
    auto* ins_proc = prepare("INSERT INTO processes VALUES (?, 'terminate_user_group', 'created', '', ?, ?)");
    auto* ins_input = prepare("INSERT INTO input_states (pid, input_state) VALUES (?, ?)");
    auto* ins_step = prepare("INSERT INTO process_steps (stepid, pid, name, status, state, started_at, completed_at) "
                             "VALUES (?, ?, ?, 'success', ?, ?, ?)");
    auto* upd_proc = prepare("UPDATE processes SET last_status = 'running', last_step = ?, last_modified_at = ? WHERE pid = ?");
    auto* upd_sub = prepare("UPDATE subscriptions SET insync = ?, status = ?, version = version + 1 WHERE subscription_id = ?");
    auto* ins_link = prepare("INSERT INTO processes_subscriptions (pid, subscription_id) VALUES (?, ?)");
    auto* del_group = prepare("DELETE FROM provisioned_groups WHERE subscription_id = ?");
    auto run = [](sqlite3_stmt* st) {
        sqlite3_step(st);
        sqlite3_reset(st);
    };
    auto text = [](sqlite3_stmt* st, int i, const std::string& v) {
        sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    };
    const std::string state(state_bytes, 'x');
    const char* names[] = {"Start", "Create Process Subscription relation", "Lock subscription",
                           "Deprovision user group", "Set subscription to 'terminated'", "Unlock subscription", "Done"};
    auto t0 = clock_type::now();
    for (const auto& sub : subs) {
        auto pid = new_uuid();
        auto now = now_iso();
        run(begin);
        text(ins_proc, 1, pid), text(ins_proc, 2, now), text(ins_proc, 3, now), run(ins_proc);
        text(ins_input, 1, pid), text(ins_input, 2, state.substr(0, state.size() / 2)), run(ins_input);
        run(commit);
        for (int step = 0; step < 7; ++step) {
            auto t = now_iso();
            run(begin);
            if (step == 1) text(ins_link, 1, pid), text(ins_link, 2, sub), run(ins_link);
            if (step == 2 || step == 4 || step == 5) {
                sqlite3_bind_int(upd_sub, 1, step == 5 ? 1 : 0);
                text(upd_sub, 2, step >= 4 ? "terminated" : "active");
                text(upd_sub, 3, sub);
                run(upd_sub);
            }
            if (step == 3) text(del_group, 1, sub), run(del_group);
            text(ins_step, 1, new_uuid()), text(ins_step, 2, pid), text(ins_step, 3, names[step]);
            text(ins_step, 4, state), text(ins_step, 5, t), text(ins_step, 6, now_iso());
            run(ins_step);
            text(upd_proc, 1, names[step]), text(upd_proc, 2, t), text(upd_proc, 3, pid), run(upd_proc);
            run(commit);
        }
    }
    double secs = seconds_since(t0);
    for (auto* st : {begin, commit, ins_proc, ins_input, ins_step, upd_proc, upd_sub, ins_link, del_group})
        sqlite3_finalize(st);
    sqlite3_close(db);
    figure f;
    f.executions_per_s = static_cast<double>(subs.size()) / secs;
    f.steps_per_s = f.executions_per_s * 7;
    return f;
}

long peak_rss_kb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

// Runs `n` create_user_group processes one after another and returns the peak RSS in KiB.
long rss_run(std::size_t n, const std::string& dir) {
    setup s(dir + "/rss.db", false);
    for (std::size_t i = 0; i < n; ++i) s.create_group(i);
    return peak_rss_kb();
}

// Peak RSS of a fresh process running `n` processes: starts this program again with --rss.
long rss_child(const std::string& self, std::size_t n, const std::string& dir) {
    auto out = dir + "/rss.txt";
    auto cmd = fmt::format("'{}' --rss {} --dir '{}' > '{}'", self, n, dir, out);
    if (std::system(cmd.c_str()) != 0) return -1;
    std::ifstream in(out);
    long kb = -1;
    in >> kb;
    return kb;
}

std::map<std::string, double> read_peers(const std::string& path) {
    std::map<std::string, double> out;  // peer -> executions_per_s
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string w, peer;
        double eps = 0;
        while (words >> w) {
            if (w.rfind("peer=", 0) == 0) peer = w.substr(5);
            if (w.rfind("executions_per_s=", 0) == 0) eps = std::stod(w.substr(17));
        }
        if (!peer.empty() && eps > 0) out[peer] = eps;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t n = 2000;
    std::string peers_file;
    std::size_t rss = 0;
    std::size_t rss_large = 100000;
    std::string dir;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--n") n = std::stoul(argv[i + 1]);
        else if (a == "--peers") peers_file = argv[i + 1];
        else if (a == "--rss") rss = std::stoul(argv[i + 1]);
        else if (a == "--dir") dir = argv[i + 1];
        else if (a == "--rss-large") rss_large = std::stoul(argv[i + 1]);
    }
    if (dir.empty()) {
        std::string tmpl = (fs::temp_directory_path() / "wfrun-bench-XXXXXX").string();
        dir = mkdtemp(tmpl.data());
    }
    if (rss) {
        std::cout << rss_run(rss, dir) << '\n';
        return 0;
    }

    auto fresh = [&](const std::string& name) {
        auto p = dir + "/" + name;
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(p + suffix);
        return p;
    };
    std::cerr << fmt::format("terminate_user_group x {} ...\n", n);
    auto normal = durable(fresh("durable.db"), false, n);
    auto floor = floor_loop(fresh("floor.db"), false, n, normal.state_bytes);
    auto memory = durable(":memory:", false, n);
    auto full = durable(fresh("full.db"), true, std::max<std::size_t>(n / 10, 50));
    std::cerr << "peak memory for 1,000 and 100,000 processes ...\n";
    auto self = fs::read_symlink("/proc/self/exe").string();
    long rss_1k = rss_child(self, 1000, dir);
    long rss_100k = rss_child(self, rss_large, dir);

    json out = {{"executions", n},
                {"durable_executions_per_s", normal.executions_per_s},
                {"durable_steps_per_s", normal.steps_per_s},
                {"floor_executions_per_s", floor.executions_per_s},
                {"floor_steps_per_s", floor.steps_per_s},
                {"durable_over_floor", normal.executions_per_s / floor.executions_per_s},
                {"memory_executions_per_s", memory.executions_per_s},
                {"full_executions_per_s", full.executions_per_s},
                {"state_bytes", normal.state_bytes},
                {"peak_rss_kb_1000", rss_1k},
                {"peak_rss_large_processes", rss_large}, {"peak_rss_kb_large", rss_100k},
                {"rss_large_over_1000", rss_1k > 0 ? static_cast<double>(rss_100k) / rss_1k : 0.0}};
    if (!peers_file.empty()) {
        auto peers = read_peers(peers_file);
        if (peers.count("aws-local-stepfunctions"))
            out["memory_over_aws_local_stepfunctions"] = memory.executions_per_s / peers["aws-local-stepfunctions"];
        if (peers.count("bpmn-engine"))
            out["durable_over_bpmn_engine"] = normal.executions_per_s / peers["bpmn-engine"];
    }

    std::cout << fmt::format("{:<44} {:>14} {:>12}\n", "figure", "executions/s", "steps/s");
    auto row = [](const char* name, const figure& f) {
        std::cout << fmt::format("{:<44} {:>14.0f} {:>12.0f}\n", name, f.executions_per_s, f.steps_per_s);
    };
    row("durable (WAL, synchronous=NORMAL)", normal);
    row("floor: bare prepared statements", floor);
    row("in-memory store", memory);
    row("durable (WAL, synchronous=FULL)", full);
    std::cout << fmt::format("{:<44} {:>14.2f}\n", "durable / floor", out["durable_over_floor"].get<double>());
    std::cout << fmt::format("{:<44} {:>11} KiB\n", "peak RSS, 1,000 processes", rss_1k);
    std::cout << fmt::format("{:<44} {:>11} KiB\n", "peak RSS, large run", rss_100k);
    std::cout << out.dump() << '\n';
    fs::remove_all(dir);
    return 0;
}
