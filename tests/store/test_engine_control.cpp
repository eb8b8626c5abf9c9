// Conformance: engine_control.hpp. A rolled-back transaction leaves nothing behind, group
// commit makes many steps one commit, what is committed is what another connection sees, and
// the pause flag.
#include "tests/store/fixtures.hpp"

using namespace wfrun;
using namespace wfrun::conformance;

TEST_CASE("a rolled-back transaction leaves nothing behind", "[store][engine_control]") {
    WFRUN_EACH_BACKEND(db, s);
    s.sync_catalog(tutorial_model());
    s.run_schema(
        {"CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT, "
         "weight DOUBLE PRECISION, flag INTEGER)"});

    process_row p;
    p.process_id = new_uuid();
    p.workflow_name = "create_user_group";
    s.begin();
    CHECK(s.in_transaction());
    CHECK_THROWS_AS(s.begin(), store_error);
    s.insert_process(p);
    step_row st;
    st.process_id = p.process_id;
    st.name = "Start";
    st.status = step_status::success;
    st.state = json::object();
    s.insert_step(st);
    json sub = s.create_subscription(product_id(s, "User Group"), "c");
    s.sql().exec("INSERT INTO notes (id, text, weight, flag) VALUES (?, ?, ?, ?)",
                 {1, "hello", 1.5, 1});
    CHECK(s.sql().query("SELECT COUNT(*) AS n FROM notes").at(0).at("n") == 1);
    s.rollback();
    CHECK_FALSE(s.in_transaction());
    CHECK_FALSE(s.process(p.process_id));
    CHECK(s.steps(p.process_id).empty());
    CHECK_FALSE(s.load_subscription(sub["subscription_id"]));
    CHECK(count(s, "subscription_instances") == 0);
    CHECK(s.sql().query("SELECT * FROM notes").empty());
    s.rollback();  // nothing open: nothing to do

    s.begin();
    s.sql().exec("INSERT INTO notes (id, text, weight, flag) VALUES (?, ?, ?, ?)",
                 {2, "kept", 2.0, nullptr});
    s.commit();
    auto rows = s.sql().query("SELECT id, text, weight, flag FROM notes WHERE text = ?", {"kept"});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["id"].is_number_integer());
    CHECK(rows[0]["text"] == "kept");
    CHECK(rows[0]["weight"].is_number_float());
    CHECK(rows[0]["weight"] == 2.0);
    CHECK(rows[0]["flag"].is_null());
    CHECK_THROWS_AS(s.sql().exec("INSERT INTO notes (text) VALUES (?)"), store_error);
    CHECK_THROWS_AS(s.sql().exec("SELECT 1; SELECT 2"), store_error);
    CHECK_THROWS_AS(s.sql().query("SELECT * FROM no_such_table"), store_error);
}

TEST_CASE("group commit: steps are savepoints, the group commits or vanishes whole",
          "[store][engine_control]") {
    WFRUN_EACH_BACKEND(db, s);
    WFRUN_NEEDS_SHARED_DATABASE(db);
    s.sync_catalog(tutorial_model());
    auto reader_connection = db->connect();  // another program looking at the same database
    store& reader = *reader_connection;

    auto add_step = [&](const process_row& p, const char* name) {
        step_row st;
        st.process_id = p.process_id;
        st.name = name;
        st.status = step_status::success;
        st.state = json::object();
        s.insert_step(st);
    };
    auto step_names = [](store& from, const process_row& p) {
        std::vector<std::string> names;
        for (const auto& st : from.steps(p.process_id)) names.push_back(st.name);
        return names;
    };

    s.begin_group();
    CHECK(s.in_group());
    CHECK_FALSE(s.in_transaction());
    CHECK_THROWS_AS(s.begin_group(), store_error);

    auto first = new_process();
    s.begin();
    CHECK(s.in_transaction());
    CHECK_THROWS_AS(s.begin(), store_error);
    s.insert_process(first);
    add_step(first, "Start");
    s.commit();
    CHECK_FALSE(s.in_transaction());

    // A failing step: its savepoint goes, the steps before and after it stay.
    s.begin();
    add_step(first, "Create subscription");
    json lost = s.create_subscription(product_id(s, "User Group"), "c");
    s.rollback();
    s.begin();
    add_step(first, "Done");
    s.commit();

    auto second = new_process();
    s.begin();
    s.insert_process(second);
    add_step(second, "Start");
    s.commit();

    CHECK(step_names(s, first) == std::vector<std::string>{"Start", "Done"});
    CHECK_FALSE(s.load_subscription(lost["subscription_id"]));
    CHECK_FALSE(reader.process(first.process_id));  // nothing is visible before the group commits

    s.begin();
    CHECK_THROWS_AS(s.commit_group(), store_error);  // a step is still open
    s.commit();
    s.commit_group();
    CHECK_FALSE(s.in_group());
    CHECK_THROWS_AS(s.commit_group(), store_error);
    REQUIRE(reader.process(first.process_id));
    CHECK(reader.process(second.process_id));
    CHECK(step_names(reader, first) == std::vector<std::string>{"Start", "Done"});
    CHECK(count(reader, "subscriptions") == 0);

    // rollback_group() undoes every step of the group, committed savepoints included.
    auto undone = new_process();
    s.begin_group();
    s.begin();
    s.insert_process(undone);
    s.commit();
    s.rollback_group();
    CHECK_FALSE(s.in_group());
    CHECK_FALSE(s.process(undone.process_id));
    s.rollback_group();  // nothing open: nothing to do

    // A program that dies with a group open (here: the store destroyed) leaves nothing of it.
    auto abandoned = new_process();
    {
        auto dying = db->connect();
        dying->sync_catalog(tutorial_model());
        dying->begin_group();
        dying->begin();
        dying->insert_process(abandoned);
        dying->commit();
    }
    CHECK_FALSE(reader.process(abandoned.process_id));
    auto reopened = db->connect();
    CHECK_FALSE(reopened->process(abandoned.process_id));
    CHECK(reopened->processes({}).size() == 2);
}

TEST_CASE("a new connection sees everything committed", "[store][engine_control]") {
    WFRUN_EACH_BACKEND(db, first);
    WFRUN_NEEDS_SHARED_DATABASE(db);
    json group, user;
    process_row p;
    {
        store& s = first;
        s.sync_catalog(tutorial_model());
        group = make_group(s);
        user = make_user(s, group, "my_internal_user");
        p.process_id = new_uuid();
        p.workflow_name = "create_user";
        s.begin();
        s.insert_process(p);
        step_row st;
        st.process_id = p.process_id;
        st.name = "Start";
        st.status = step_status::success;
        st.state = {{"a", 1}};
        s.insert_step(st);
        s.commit();
        s.set_global_lock(true);
    }
    first_connection.reset();
    auto connection = db->connect();
    store& s = *connection;
    CHECK(s.global_lock());
    CHECK(s.subscription(group["subscription_id"])->description == "User Group Group One");
    CHECK(s.steps(p.process_id).at(0).state == json{{"a", 1}});
    // Domain models need the catalog again.
    CHECK_THROWS_AS(s.load_subscription(user["subscription_id"]), store_error);
    s.sync_catalog(tutorial_model());
    CHECK(s.load_subscription(user["subscription_id"]) == user);
    CHECK(s.load_subscription(group["subscription_id"]) == group);
}

TEST_CASE("the pause flag is one value for every connection", "[store][engine_control]") {
    WFRUN_EACH_BACKEND(db, s);
    CHECK_FALSE(s.global_lock());
    s.begin();
    s.set_global_lock(true);
    s.commit();
    CHECK(s.global_lock());
    s.begin();
    s.set_global_lock(false);
    s.rollback();
    CHECK(s.global_lock());
    SECTION("seen by another connection") {
        WFRUN_NEEDS_SHARED_DATABASE(db);
        auto other = db->connect();
        CHECK(other->global_lock());
        other->set_global_lock(false);
        CHECK_FALSE(s.global_lock());
    }
}

TEST_CASE("step SQL is written with bare ? placeholders", "[store][engine_control]") {
    WFRUN_EACH_BACKEND(db, s);
    s.run_schema({"CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT)"});
    s.sql().exec("INSERT INTO notes (id, text) VALUES (?, ?)", {1, "what? no: @all $1"});
    CHECK(s.sql().query("SELECT text FROM notes WHERE id = ? AND text LIKE '%?%'", {1}).size() ==
          1);
    // Every other style is refused, so that a step's SQL runs on every backend.
    CHECK_THROWS_WITH(s.sql().query("SELECT text FROM notes WHERE id = ?1", {1}),
                      Catch::Contains("placeholder"));
    CHECK_THROWS_WITH(s.sql().query("SELECT text FROM notes WHERE id = :id", {1}),
                      Catch::Contains("placeholder"));
    CHECK_THROWS_WITH(s.sql().query("SELECT text FROM notes WHERE id = $1", {1}),
                      Catch::Contains("placeholder"));
}
