// End to end: the database file itself. Commands that only read never write and serve a
// read-only file; a damaged file stops every command before it writes, with advice; `wfrun db
// check` lists what is wrong with the file and with wfrun's rows; `wfrun db backup` copies the
// database while processes run.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "harness.hpp"

using e2e::sandbox;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string bytes_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Runs SQL on the database the way the sqlite3 tool does (foreign keys off), as someone
// repairing or breaking it by hand would.
void exec(const sandbox& s, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(s.db().c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    INFO(message);
    REQUIRE(rc == SQLITE_OK);
}

// Overwrites `size` bytes of `path` at `offset` with pseudo-random garbage.
void scribble(const std::string& path, std::size_t offset, std::size_t size) {
    std::mt19937 rng(7);
    std::string garbage(size, '\0');
    for (char& c : garbage) c = static_cast<char>(rng() & 0xff);
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

// Makes a file or folder read-only for as long as it lives.
class read_only {
  public:
    explicit read_only(std::string path) : path_(std::move(path)) {
        struct stat st {};
        REQUIRE(::stat(path_.c_str(), &st) == 0);
        mode_ = st.st_mode & 07777;
        REQUIRE(::chmod(path_.c_str(), mode_ & ~(S_IWUSR | S_IWGRP | S_IWOTH)) == 0);
    }
    ~read_only() { ::chmod(path_.c_str(), mode_); }
    read_only(const read_only&) = delete;
    read_only& operator=(const read_only&) = delete;

  private:
    std::string path_;
    mode_t mode_ = 0;
};

std::string create_line(const std::string& product, const std::string& name) {
    return json::array({{{"product", product}}, {{"group_name", name}}}).dump();
}

std::string terminate_input(const std::string& group) {
    return json::array({{{"subscription_id", group}}, json::object()}).dump();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("read-only commands serve a read-only database with the same output") {
    sandbox s;
    auto group = s.create_group("Group One");
    auto pid = s.run({"ps", "--json"}).json()[0]["process_id"].get<std::string>();
    const std::vector<std::vector<std::string>> reads = {
        {"ps", "--json"},
        {"show", pid, "--json"},
        {"subscriptions", "--json"},
        {"subscription", group, "--json"},
        {"workflows", group, "--json"},
        {"products", "--json"},
        {"engine", "status", "--json"},
    };
    std::vector<std::string> before;
    for (const auto& args : reads) before.push_back(s.run(args).out);
    // Readers leave an empty log and its index behind (SQLite's readers cannot remove them);
    // the next writer to close removes them, as it did after the run above.
    REQUIRE(fs::file_size(s.db() + "-wal") == 0);
    fs::remove(s.db() + "-wal");
    fs::remove(s.db() + "-shm");
    const std::string bytes = bytes_of(s.db());

    auto check_reads_and_start = [&] {
        for (std::size_t i = 0; i < reads.size(); ++i) {
            auto r = s.run(reads[i]);
            INFO(reads[i][0] << ": " << r.err);
            CHECK(r.code == 0);
            CHECK(r.out == before[i]);
        }
        auto product = s.product_id("User Group");
        auto r = s.run({"start", "create_user_group", "--input",
                        json::array({{{"product", product}}, {{"group_name", "Two"}}}).dump()});
        CHECK(r.code == 2);
        CHECK(contains(r.err, "'" + s.db() + "'"));
        CHECK(contains(r.err, "read-only"));
        CHECK(bytes_of(s.db()) == bytes);
    };

    SECTION("the file read-only, its folder writable") {
        read_only file(s.db());
        check_reads_and_start();
    }
    SECTION("the file and its folder read-only: no -shm can be created") {
        read_only file(s.db());
        read_only folder(s.dir());
        check_reads_and_start();
        CHECK(!fs::exists(s.db() + "-shm"));
    }
}

TEST_CASE("read-only commands do not wait for the write lock a running step holds") {
    sandbox s;
    s.create_group("Group One");
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(s.db().c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    auto started = std::chrono::steady_clock::now();
    auto ps = s.run({"ps", "--json"});
    auto subs = s.run({"subscriptions", "--json"});
    auto took = std::chrono::steady_clock::now() - started;
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    INFO(ps.err << subs.err);
    CHECK(ps.code == 0);
    CHECK(ps.json().size() == 1);
    CHECK(subs.code == 0);
    CHECK(took < std::chrono::seconds(5));  // the busy timeout is 10 s
}

TEST_CASE("garbage in the database file stops ps and start, which leave it untouched") {
    sandbox s;
    for (int i = 0; i < 6; ++i) s.create_group("Group " + std::to_string(i));
    // Everything is in the file itself; a log, if any, is the empty one readers leave.
    REQUIRE((!fs::exists(s.db() + "-wal") || fs::file_size(s.db() + "-wal") == 0));
    const auto size = fs::file_size(s.db());
    REQUIRE(size >= 16 * 4096);
    scribble(s.db(), (size / 4096 / 2) * 4096, 8192);
    const std::string bytes = bytes_of(s.db());

    auto product = s.query("SELECT product_id FROM products WHERE name = 'User Group'");
    std::vector<std::vector<std::string>> commands = {{"ps"}, {"subscriptions"}};
    if (!product.empty()) {
        commands.push_back(
            {"start", "create_user_group", "--input",
             json::array({{{"product", product[0]["product_id"]}}, {{"group_name", "New"}}})
                 .dump()});
    }
    for (const auto& args : commands) {
        auto r = s.run(args);
        INFO(args[0] << ": " << r.err);
        CHECK(r.code == 2);
        CHECK(contains(r.err, "database '" + s.db() + "' is damaged"));
        CHECK(contains(r.err, "wfrun db check"));
        CHECK(contains(r.err, "wfrun db backup"));
        CHECK(bytes_of(s.db()) == bytes);
    }

    auto check = s.run({"db", "check", "--json"});
    CHECK(check.code == 1);
    CHECK(check.json()["ok"] == false);
    CHECK(!check.json()["problems"].empty());
    CHECK(bytes_of(s.db()) == bytes);
}

TEST_CASE("garbage in the write-ahead log after a kill -9 stops ps instead of losing commits") {
    sandbox s;
    auto product = s.product_id("User Group");
    {
        std::ofstream out(s.dir() + "/groups.jsonl");
        for (int i = 0; i < 400; ++i)
            out << create_line(product, "Group " + std::to_string(i)) << '\n';
    }
    // One commit per step, slowed down, killed while it runs: the log keeps every commit.
    std::string cmd = "cd " + quote(s.dir()) + " && (env NO_COLOR=1 WFRUN_DB=" + quote(s.db()) +
                      " WFRUN_WORKFLOWS=" + quote(std::string(WFRUN_SOURCE_DIR) + "/workflows") +
                      " WFRUN_FAULT=done=delay:5ms " + quote(WFRUN_BINARY) +
                      " start create_user_group --batch groups.jsonl --no-group-commit"
                      " </dev/null >/dev/null 2>&1 & pid=$!; sleep 1.5; kill -9 $pid; wait $pid)";
    int status = std::system(cmd.c_str());
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 128 + 9);
    const std::string wal = s.db() + "-wal";
    REQUIRE(fs::exists(wal));
    const std::size_t processes =
        s.query("SELECT count(*) AS n FROM processes")[0]["n"].get<std::size_t>();
    REQUIRE(processes >= 10);
    // 64 bytes inside the first page of the log.
    scribble(wal, 32 + 24 + 1000, 64);
    const std::string bytes = bytes_of(s.db());

    auto r = s.run({"ps", "--json"});
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(contains(r.err, "database '" + s.db() + "' is damaged"));
    CHECK(contains(r.err, "write-ahead log"));
    CHECK(contains(r.err, "wfrun db check"));
    CHECK(bytes_of(s.db()) == bytes);
    auto check = s.run({"db", "check"});
    CHECK(check.code == 1);
    CHECK(contains(check.out, "write-ahead log"));
}

TEST_CASE("db check: a healthy database is ok") {
    sandbox s;
    auto group = s.create_group("Group One");
    auto r = s.run({"db", "check"});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK(r.out == s.db() + ": ok\n");
    auto j = s.run({"db", "check", "--json"});
    CHECK(j.code == 0);
    CHECK(j.json() == json{{"database", s.db()}, {"ok", true}, {"problems", json::array()}});
}

TEST_CASE("db check reports broken invariants") {
    sandbox s;
    auto group = s.create_group("Group One");

    SECTION("a process row deleted under its steps") {
        auto pid = s.run({"ps", "--json"}).json()[0]["process_id"].get<std::string>();
        exec(s, "DELETE FROM processes WHERE pid = '" + pid + "'");
        auto r = s.run({"db", "check"});
        INFO(r.out << r.err);
        CHECK(r.code == 1);
        CHECK(contains(r.out,
                       "steps: 8 step rows belong to process " + pid + ", which does not exist"));
        CHECK(contains(r.out, "storage: row "));  // foreign_key_check agrees
        auto j = s.run({"db", "check", "--json"}).json();
        CHECK(j["ok"] == false);
    }
    SECTION("a subscription set in sync under the live process that locked it") {
        auto r = s.run({"start", "terminate_user_group", "--input", terminate_input(group)}, "",
                       {"WFRUN_FAULT=deprovision_user_group=fail"});
        REQUIRE(r.code == 1);
        auto pid = s.run({"ps", "--status", "failed", "--json"})
                       .json()[0]["process_id"]
                       .get<std::string>();
        CHECK(s.run({"db", "check"}).code == 0);  // failed after unsync: out of sync, as it should
        exec(s, "UPDATE subscriptions SET insync = 1 WHERE subscription_id = '" + group + "'");
        auto c = s.run({"db", "check"});
        INFO(c.out << c.err);
        CHECK(c.code == 1);
        CHECK(contains(c.out,
                       "subscriptions: subscription " + group + " is in sync, but process " + pid));
    }
    SECTION("a state that is not JSON") {
        exec(s,
             "UPDATE process_steps SET state = '{\"broken' WHERE seq = (SELECT max(seq) FROM "
             "process_steps)");
        auto c = s.run({"db", "check", "--json"});
        INFO(c.out << c.err);
        CHECK(c.code == 1);
        auto problems = c.json()["problems"];
        REQUIRE(problems.size() == 1);
        CHECK(problems[0]["check"] == "json");
        CHECK(contains(problems[0]["message"], "process_steps.state"));
    }
}

TEST_CASE("db backup while a batch runs: a consistent copy that db check passes and ps lists") {
    sandbox s;
    auto product = s.product_id("User Group");
    {
        std::ofstream out(s.dir() + "/groups.jsonl");
        for (int i = 0; i < 300; ++i)
            out << create_line(product, "Group " + std::to_string(i)) << '\n';
    }
    std::string cmd = "cd " + quote(s.dir()) + " && env NO_COLOR=1 WFRUN_DB=" + quote(s.db()) +
                      " WFRUN_WORKFLOWS=" + quote(std::string(WFRUN_SOURCE_DIR) + "/workflows") +
                      " WFRUN_FAULT=done=delay:2ms " + quote(WFRUN_BINARY) +
                      " start create_user_group --batch groups.jsonl --group-size 8 --json"
                      " </dev/null >batch.out 2>batch.err";
    std::thread batch([&] { std::system(cmd.c_str()); });
    // Back up once the batch has committed some processes and while it is still running.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline &&
           s.query("SELECT count(*) AS n FROM processes")[0]["n"].get<int>() < 20)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::string copy = s.dir() + "/copy.db";
    auto r = s.run({"db", "backup", copy});
    bool batch_running = s.query("SELECT count(*) AS n FROM processes")[0]["n"].get<int>() < 300;
    batch.join();
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(batch_running);
    CHECK(r.out == "backed up " + s.db() + " to " + copy + "\n");

    auto check = s.run({"--db", copy, "db", "check"});
    INFO(check.out << check.err);
    CHECK(check.code == 0);
    auto ps = s.run({"--db", copy, "ps", "--json"});
    REQUIRE(ps.code == 0);
    auto listed = ps.json().size();
    CHECK(listed >= 20);
    CHECK(listed < 300);
    // The copy holds whole group commits only: every process it lists ran to its end.
    for (const auto& p : ps.json()) CHECK(p["last_status"] == "completed");
    CHECK(s.run({"ps", "--json"}).json().size() == 300);

    // An existing file is kept unless --force.
    auto again = s.run({"db", "backup", copy});
    CHECK(again.code == 2);
    CHECK(contains(again.err, "exists"));
    CHECK(s.run({"--db", copy, "ps", "--json"}).json().size() == listed);
    auto forced = s.run({"db", "backup", copy, "--force"});
    CHECK(forced.code == 0);
    CHECK(s.run({"--db", copy, "ps", "--json"}).json().size() == 300);
}
