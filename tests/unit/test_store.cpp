// What is particular to the SQLite store, against real database files in a temporary directory:
// opening and upgrading files, the schema's pragmas and indexes, writers queuing on the busy
// timeout, and that unchanged data is not written again. The contract every backend meets is
// tested by the conformance suite in tests/store/, which runs on SQLite too.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <limits>
#include <random>
#include <thread>

#include "interpreter/store/sql_placeholders.hpp"
#include "interpreter/store/sqlite/sqlite.hpp"
#include "interpreter/store/sqlite/sqlite_store.hpp"
#include "tests/store/fixtures.hpp"

using namespace wfrun;
using namespace wfrun::conformance;
namespace fs = std::filesystem;

namespace {

// A directory removed with everything in it when the test ends.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("wfrun-store-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string file(const char* name = "wfrun.db") const { return (path / name).string(); }
};

std::int64_t total_changes(store& s) {
    return s.sql().query("SELECT total_changes() AS n").at(0).at("n").get<std::int64_t>();
}

}  // namespace

TEST_CASE("uuids and timestamps have their canonical form", "[store]") {
    std::string id = new_uuid();
    REQUIRE(id.size() == 36);
    CHECK(id[8] == '-');
    CHECK(id[14] == '7');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    std::string next = new_uuid();
    CHECK(next > id);  // time-ordered, so that indexes on ids grow at one end
    std::string t = now_iso();
    REQUIRE(t.size() == 32);
    CHECK(t[10] == 'T');
    CHECK(t.substr(26) == "+00:00");
}

TEST_CASE("a store that cannot be opened names the path", "[store]") {
    temp_dir dir;
    std::string bad = (dir.path / "no" / "such" / "dir" / "x.db").string();
    try {
        sqlite_store s(bad);
        FAIL("opened");
    } catch (const store_error& e) {
        CHECK_THAT(e.what(), Catch::Contains(bad));
    }
    std::string garbage = dir.file("garbage.db");
    {
        std::FILE* f = std::fopen(garbage.c_str(), "w");
        std::fputs("this is not an SQLite database, not at all, not even close to one", f);
        std::fclose(f);
    }
    try {
        sqlite_store s(garbage);
        FAIL("opened");
    } catch (const store_error& e) {
        CHECK_THAT(e.what(), Catch::Contains(garbage) && Catch::Contains("not a database"));
    }
}

TEST_CASE("the schema has WAL, foreign keys and an index for every listing", "[store]") {
    temp_dir dir;
    sqlite_store s(dir.file());
    auto& q = s.sql();
    CHECK(q.query("PRAGMA journal_mode").at(0).at("journal_mode") == "wal");
    CHECK(q.query("PRAGMA foreign_keys").at(0).at("foreign_keys") == 1);
    CHECK(q.query("PRAGMA synchronous").at(0).at("synchronous") == 2);  // FULL
    CHECK(q.query("PRAGMA user_version").at(0).at("user_version") == 3);

    const std::vector<std::pair<std::string, std::string>> indexes = {
        {"process_steps", "pid"},
        {"processes", "last_status"},
        {"processes", "workflow_name"},
        {"processes_subscriptions", "subscription_id"},
        {"processes_subscriptions", "pid"},
        {"subscriptions", "status"},
        {"subscriptions", "product_id"},
        {"subscription_instances", "subscription_id"},
        {"subscription_instance_values", "subscription_instance_id"},
        {"subscription_instance_relations", "depends_on_id"},
        {"subscription_instance_relations", "in_use_by_id"},
        {"input_states", "pid"},
    };
    for (const auto& [table, column] : indexes) {
        INFO(table << "(" << column << ")");
        // An index on the table whose first column is `column`.
        auto rows = q.query(
            "SELECT m.name FROM sqlite_master m, pragma_index_info(m.name) i "
            "WHERE m.type = 'index' AND m.tbl_name = ? AND i.seqno = 0 AND i.name = ?",
            {table, column});
        CHECK(!rows.empty());
    }
    auto seq =
        q.query("SELECT i.name FROM pragma_index_info('process_steps_pid_ix') i ORDER BY i.seqno");
    REQUIRE(seq.size() == 2);
    CHECK(seq[1].at("name") == "seq");

    sqlite_store normal(dir.file("normal.db"), {.synchronous_full = false, .busy_timeout_ms = 100});
    CHECK(normal.sql().query("PRAGMA synchronous").at(0).at("synchronous") == 1);
}

TEST_CASE("a second connection waits for the writer instead of failing", "[store]") {
    temp_dir dir;
    sqlite_store a(dir.file());
    sqlite_store b(dir.file());
    a.begin();
    a.set_global_lock(true);
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        a.commit();
    });
    b.begin();  // blocks until `a` commits
    CHECK(b.global_lock());
    b.set_global_lock(false);
    b.commit();
    releaser.join();
    CHECK_FALSE(a.global_lock());
}

TEST_CASE("unchanged data is not written again", "[store]") {
    temp_dir dir;
    const catalog_model model = tutorial_model();
    {
        sqlite_store s(dir.file());
        s.sync_catalog(model);
        auto changes = total_changes(s);
        s.sync_catalog(model);
        CHECK(total_changes(s) == changes);
    }
    sqlite_store s(dir.file());
    auto changes = total_changes(s);
    s.sync_catalog(model);
    CHECK(total_changes(s) == changes);

    json g = make_group(s);
    changes = total_changes(s);
    s.save_subscription(*s.load_subscription(g["subscription_id"]));
    CHECK(total_changes(s) == changes);
    s.set_insync(g["subscription_id"], true);  // already in sync
    CHECK(total_changes(s) == changes);

    // A model refused by validation writes nothing at all.
    json bad = g;
    bad["description"] = "changed";
    bad["user_group"]["group_id"] = "abc";
    CHECK_THROWS_AS(s.save_subscription(bad), store_error);
    CHECK(total_changes(s) == changes);
    catalog_model without_group = model;
    without_group.products.erase(without_group.products.begin());
    CHECK_THROWS_AS(s.sync_catalog(without_group), store_error);
    CHECK(total_changes(s) == changes);
}

TEST_CASE("a database of schema version 1 opens and gains the claim epoch", "[store]") {
    temp_dir dir;
    {
        // The processes table as version 1 created it, with a process in it.
        sqlite::database old(dir.file(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        old.exec(
            "CREATE TABLE processes (pid TEXT PRIMARY KEY, workflow_id TEXT, "
            "workflow_name TEXT NOT NULL, workflow_target TEXT, assignee TEXT NOT NULL DEFAULT "
            "'SYSTEM', last_status TEXT NOT NULL, last_step TEXT, started_at TEXT NOT NULL, "
            "last_modified_at TEXT NOT NULL, failed_reason TEXT, traceback TEXT, created_by TEXT, "
            "is_task INTEGER NOT NULL DEFAULT 0, note TEXT, definition TEXT, owner TEXT, "
            "heartbeat_at TEXT);"
            "INSERT INTO processes (pid, workflow_name, workflow_target, last_status, started_at, "
            "last_modified_at) VALUES ('old', 'create_user_group', 'CREATE', 'suspended', "
            "'2026-01-01T00:00:00.000000+00:00', '2026-01-01T00:00:00.000000+00:00');"
            "PRAGMA user_version = 1;");
    }
    sqlite_store s(dir.file());
    CHECK(s.sql().query("PRAGMA user_version").at(0).at("user_version") == 3);
    auto p = s.process("old");
    REQUIRE(p);
    CHECK(p->epoch == 0);
    CHECK(p->last_status == process_status::suspended);
    auto epoch = s.claim_process("old", process_status::suspended, "", 0, "me:1", "");
    REQUIRE(epoch);
    CHECK(*epoch == 1);
    s.sync_catalog(tutorial_model());  // the tables version 1 lacked here were created
    CHECK(s.products().size() == 2);
    // Opening it again changes nothing.
    sqlite_store again(dir.file());
    CHECK(again.process("old")->epoch == 1);
}

TEST_CASE("step SQL binds booleans, and SQLite's own placeholder styles are refused", "[store]") {
    sqlite_store s(":memory:");
    s.run_schema({"CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT, flag INTEGER)"});
    s.sql().exec("INSERT INTO notes (text, flag) VALUES (?, ?)", {"hello", true});
    CHECK(s.sql().query("SELECT flag FROM notes").at(0).at("flag") == 1);
    CHECK_THROWS_WITH(s.sql().exec("INSERT INTO notes (text) VALUES (@text)", {"x"}),
                      Catch::Contains("placeholder '@text'"));
    CHECK_THROWS_WITH(s.sql().exec("INSERT INTO notes (text) VALUES ($text)", {"x"}),
                      Catch::Contains("placeholder '$text'"));
}

TEST_CASE("step SQL's placeholders translate to numbered ones outside literals", "[store]") {
    auto n = number_placeholders("SELECT a FROM t WHERE b = ? AND c = '?''?' AND \"d?\" = ?", "$");
    CHECK(n.text == "SELECT a FROM t WHERE b = $1 AND c = '?''?' AND \"d?\" = $2");
    CHECK(n.parameters == 2);
    n = number_placeholders("UPDATE t SET a = ? -- why?\n, b = ? /* and? */ WHERE c = ?", "$");
    CHECK(n.text == "UPDATE t SET a = $1 -- why?\n, b = $2 /* and? */ WHERE c = $3");
    CHECK(n.parameters == 3);
    CHECK(number_placeholders("SELECT 1", "$").parameters == 0);
    CHECK(number_placeholders("SELECT x::text, a$b FROM t WHERE y = ?", "$").text ==
          "SELECT x::text, a$b FROM t WHERE y = $1");
    for (const char* foreign :
         {"SELECT ?1", "SELECT :name", "SELECT @name", "SELECT $1", "SELECT $name"}) {
        INFO(foreign);
        CHECK_THROWS_AS(number_placeholders(foreign, "$"), store_error);
    }
    CHECK_NOTHROW(check_placeholder_style("SELECT ':name', '$1' WHERE a = ?"));
}
