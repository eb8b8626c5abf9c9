// The SQLite store against real database files in a temporary directory (and `:memory:`): the
// catalog sync, subscriptions as domain models, processes and their step log, transactions and
// the steps' own SQL.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <limits>
#include <random>
#include <thread>

#include "interpreter/store/sqlite/sqlite_store.hpp"

using namespace wfrun;
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

catalog_model tutorial_model() {
    catalog_model m;
    m.blocks = {
        {"UserGroupBlock",
         "user group block",
         "UGB",
         {{"group_name", false, "str", "provisioning", "name of the user group"},
          {"group_id", false, "int", "active", "id of the user group"}}},
        {"UserBlock",
         "user block",
         "UB",
         {{"group", true, "UserGroupBlock", "initial", "the user's group"},
          {"username", false, "str", "provisioning", "name of the user"},
          {"age", false, "int", "", "age of the user"},
          {"user_id", false, "int", "active", "id of the user"}}},
    };
    m.products = {
        {"User Group",
         "UserGroup",
         "GROUP",
         "user group administration",
         "active",
         {},
         "user_group",
         "UserGroupBlock"},
        {"User internal",
         "User",
         "USER_INT",
         "user administration - internal",
         "active",
         {{"affiliation", "internal"}},
         "user",
         "UserBlock"},
    };
    m.workflows = {
        {"create_user_group", workflow_target::create, "Create user group", "UserGroup", false},
        {"modify_user_group", workflow_target::modify, "Modify user group", "UserGroup", false},
        {"terminate_user_group", workflow_target::terminate, "Terminate user group", "UserGroup", false},
        {"create_user", workflow_target::create, "Create user", "User", false},
        {"modify_user", workflow_target::modify, "Modify user", "User", false},
        {"terminate_user", workflow_target::terminate, "Terminate user", "User", false},
        {"task_validate_products", workflow_target::system, "Validate products", "", true},
    };
    return m;
}

std::string product_id(store& s, const std::string& name) {
    for (const auto& p : s.products()) {
        if (p.name == name) return p.product_id;
    }
    FAIL("no product " << name);
    return {};
}

std::int64_t total_changes(store& s) {
    return s.sql().query("SELECT total_changes() AS n").at(0).at("n").get<std::int64_t>();
}

std::int64_t count(store& s, const std::string& sql, const std::vector<json>& params = {}) {
    return s.sql()
        .query("SELECT COUNT(*) AS n FROM " + sql, params)
        .at(0)
        .at("n")
        .get<std::int64_t>();
}

// A group "Group One" (id 123), active and in sync.
json make_group(store& s, const std::string& name = "Group One", std::int64_t id = 123) {
    json g = s.create_subscription(product_id(s, "User Group"), new_uuid());
    g["description"] = "User Group " + name;
    g["status"] = "active";
    g["insync"] = true;
    g["start_date"] = now_iso();
    g["user_group"]["group_name"] = name;
    g["user_group"]["group_id"] = id;
    s.save_subscription(g);
    return *s.load_subscription(g["subscription_id"]);
}

// A user of `group` named `username`, aged 40.
json make_user(store& s, const json& group, const std::string& username) {
    json u = s.create_subscription(product_id(s, "User internal"), new_uuid());
    u["description"] = "User " + username;
    u["status"] = "active";
    u["insync"] = true;
    u["user"]["group"] = group["user_group"];
    u["user"]["username"] = username;
    u["user"]["age"] = 40;
    u["user"]["user_id"] = 4;
    s.save_subscription(u);
    return *s.load_subscription(u["subscription_id"]);
}

subscription_filter sub_filter(std::optional<std::string> type, std::optional<std::string> status) {
    subscription_filter f;
    f.product_type = std::move(type);
    f.status = std::move(status);
    return f;
}

process_filter proc_filter(std::optional<process_status> status, std::optional<std::string> workflow,
                           std::size_t limit = 0) {
    process_filter f;
    f.status = std::move(status);
    f.workflow = std::move(workflow);
    f.limit = limit;
    return f;
}

// Every column of the product rows, for comparing.
std::vector<std::vector<std::string>> rows(const std::vector<product_row>& products) {
    std::vector<std::vector<std::string>> out;
    for (const auto& p : products) {
        out.push_back({p.product_id, p.name, p.description, p.product_type, p.tag, p.status});
    }
    return out;
}

std::vector<std::string> ids(const std::vector<subscription_row>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.subscription_id);
    return out;
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
    CHECK(q.query("PRAGMA user_version").at(0).at("user_version") == 1);

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

TEST_CASE("catalog sync is idempotent and keeps ids across reopening", "[store]") {
    temp_dir dir;
    const catalog_model model = tutorial_model();
    std::vector<product_row> before;
    std::string create_user_id;
    {
        sqlite_store s(dir.file());
        s.sync_catalog(model);
        before = s.products();
        REQUIRE(before.size() == 2);
        CHECK(before[0].name == "User Group");
        CHECK(before[0].product_type == "UserGroup");
        CHECK(before[0].tag == "GROUP");
        CHECK(before[0].description == "user group administration");
        CHECK(before[0].status == "active");
        create_user_id =
            s.sql()
                .query("SELECT workflow_id FROM workflows WHERE name = ?", {"create_user"})
                .at(0)
                .at("workflow_id");

        auto changes = total_changes(s);
        s.sync_catalog(model);
        CHECK(total_changes(s) == changes);
        CHECK(rows(s.products()) == rows(before));
    }
    sqlite_store s(dir.file());
    auto changes = total_changes(s);
    s.sync_catalog(model);
    CHECK(total_changes(s) == changes);
    auto after = s.products();
    REQUIRE(after.size() == before.size());
    for (std::size_t i = 0; i < after.size(); ++i) {
        CHECK(after[i].product_id == before[i].product_id);
    }

    const std::string user = product_id(s, "User internal");
    CHECK(s.product_workflows(user) ==
          std::vector<std::string>{"create_user", "modify_user", "terminate_user"});
    CHECK(s.product(user)->tag == "USER_INT");
    CHECK_FALSE(s.product("nope"));
    CHECK(count(s,
                "fixed_inputs WHERE product_id = ? AND name = 'affiliation' "
                "AND value = 'internal'",
                {user}) == 1);
    CHECK(count(s, "resource_types") == 5);
    CHECK(s.sql()
              .query("SELECT description FROM resource_types WHERE resource_type = 'group_id'")
              .at(0)
              .at("description") == "id of the user group");
    CHECK(count(s, "product_block_resource_types") == 5);
    CHECK(count(s, "product_product_blocks") == 2);
    // UserBlock is in use by... no: UserBlock uses (depends on) UserGroupBlock.
    CHECK(count(s,
                "product_block_relations r JOIN product_blocks u ON u.product_block_id = "
                "r.in_use_by_id JOIN product_blocks d ON d.product_block_id = r.depends_on_id "
                "WHERE u.name = 'UserBlock' AND d.name = 'UserGroupBlock'") == 1);
    CHECK(count(s, "workflows WHERE name = 'task_validate_products' AND is_task = 1") == 1);

    SECTION("a workflow that leaves the model is soft-deleted, and comes back with its id") {
        catalog_model smaller = model;
        std::erase_if(smaller.workflows, [](const auto& w) { return w.name == "create_user"; });
        s.sync_catalog(smaller);
        CHECK(s.product_workflows(user) ==
              std::vector<std::string>{"modify_user", "terminate_user"});
        CHECK(count(s, "workflows WHERE name = 'create_user' AND deleted_at IS NOT NULL") == 1);
        s.sync_catalog(model);
        CHECK(s.product_workflows(user).size() == 3);
        CHECK(count(s, "workflows WHERE workflow_id = ? AND deleted_at IS NULL",
                    {create_user_id}) == 1);
    }
    SECTION("changed descriptions and fixed inputs are updated in place") {
        catalog_model changed = model;
        changed.products[1].description = "internal users";
        changed.products[1].fixed = {{"affiliation", "staff"}};
        s.sync_catalog(changed);
        CHECK(s.product(user)->description == "internal users");
        CHECK(count(s, "fixed_inputs WHERE value = 'staff'") == 1);
        CHECK(count(s, "fixed_inputs") == 1);
    }
}

TEST_CASE("a product with subscriptions can not leave the catalog", "[store]") {
    temp_dir dir;
    sqlite_store s(dir.file());
    s.sync_catalog(tutorial_model());
    json group = make_group(s);
    const auto products = s.products();
    auto changes = total_changes(s);

    catalog_model without_group = tutorial_model();
    without_group.products.erase(without_group.products.begin());
    without_group.workflows.clear();
    try {
        s.sync_catalog(without_group);
        FAIL("synced");
    } catch (const store_error& e) {
        CHECK(std::string(e.what()) ==
              "cannot remove product 'User Group': 1 subscriptions use it");
    }
    CHECK(total_changes(s) == changes);
    CHECK(rows(s.products()) == rows(products));
    CHECK(s.product_workflows(product_id(s, "User Group")).size() == 3);
    CHECK_FALSE(s.in_transaction());
    // The model kept for the domain calls is still the old one.
    CHECK(s.load_subscription(group["subscription_id"]) == group);

    SECTION("inside the caller's transaction, which stays usable") {
        s.begin();
        CHECK_THROWS_AS(s.sync_catalog(without_group), store_error);
        CHECK(s.in_transaction());
        CHECK(rows(s.products()) == rows(products));
        s.commit();
    }
    SECTION("a product without subscriptions is removed") {
        catalog_model without_user = tutorial_model();
        without_user.products.pop_back();
        s.sync_catalog(without_user);
        REQUIRE(s.products().size() == 1);
        CHECK(count(s, "fixed_inputs") == 0);
        CHECK(count(s, "products_workflows") == 3);
    }
}

TEST_CASE("subscriptions round-trip as domain models", "[store]") {
    temp_dir dir;
    auto path = GENERATE(as<std::string>{}, ":memory:", "file");
    sqlite_store s(path == "file" ? dir.file() : path);
    s.sync_catalog(tutorial_model());
    const std::string group_product = product_id(s, "User Group");

    json created = s.create_subscription(group_product, "cust-1");
    const std::string sid = created["subscription_id"];
    CHECK(created["description"] == "Initial subscription of user group administration");
    CHECK(created["status"] == "initial");
    CHECK(created["insync"] == false);
    CHECK(created["customer_id"] == "cust-1");
    CHECK(created["start_date"].is_null());
    CHECK(created["version"] == 1);
    CHECK(created["product"] == json{{"product_id", group_product},
                                     {"name", "User Group"},
                                     {"description", "user group administration"},
                                     {"product_type", "UserGroup"},
                                     {"tag", "GROUP"},
                                     {"status", "active"}});
    CHECK_FALSE(created.contains("affiliation"));
    const json& block = created["user_group"];
    CHECK(block["name"] == "UserGroupBlock");
    CHECK(block["owner_subscription_id"] == sid);
    CHECK(block["label"].is_null());
    CHECK(block["group_name"].is_null());
    CHECK(block["group_id"].is_null());
    CHECK(s.load_subscription(sid) == created);

    json g = created;
    g["description"] = "User Group Group One";
    g["status"] = "active";
    g["insync"] = true;
    g["start_date"] = "2026-01-02T03:04:05.000006+00:00";
    g["user_group"]["group_name"] = "Group One";
    g["user_group"]["group_id"] = 123;
    s.save_subscription(g);
    json loaded = *s.load_subscription(sid);
    CHECK(loaded["version"] == 2);
    g["version"] = 2;
    CHECK(loaded == g);
    CHECK(loaded["user_group"]["group_id"].is_number_integer());
    CHECK(count(s, "subscription_instance_values WHERE value = '123'") == 1);

    // Saving what is stored writes nothing, and the version stays.
    auto changes = total_changes(s);
    s.save_subscription(loaded);
    CHECK(total_changes(s) == changes);
    CHECK(s.subscription(sid)->version == 2);

    // A value set back to null loses its row.
    loaded["user_group"]["group_id"] = nullptr;
    s.save_subscription(loaded);
    CHECK(count(s, "subscription_instance_values") == 1);
    CHECK(s.load_subscription(sid)->at("user_group").at("group_id").is_null());

    auto row = s.subscription(sid);
    REQUIRE(row);
    CHECK(row->description == "User Group Group One");
    CHECK(row->insync);
    CHECK(row->start_date == "2026-01-02T03:04:05.000006+00:00");
    CHECK_FALSE(row->end_date);
    CHECK(row->product.name == "User Group");
    CHECK_FALSE(s.load_subscription(new_uuid()));
    CHECK_FALSE(s.subscription("nope"));

    s.set_insync(sid, false);
    CHECK_FALSE(s.subscription(sid)->insync);
    CHECK_THROWS_AS(s.set_insync("nope", true), store_error);
}

TEST_CASE("a user links its group's block without writing it", "[store]") {
    temp_dir dir;
    sqlite_store s(dir.file());
    s.sync_catalog(tutorial_model());
    json group = make_group(s);
    const std::string gid = group["subscription_id"];

    json u = s.create_subscription(product_id(s, "User internal"), "cust-2");
    const std::string uid = u["subscription_id"];
    CHECK(u["affiliation"] == "internal");
    CHECK(u["description"] == "Initial subscription of user administration - internal");
    // The placeholder group block is the user's own until it is replaced.
    const std::string placeholder = u["user"]["group"]["subscription_instance_id"];
    CHECK(u["user"]["group"]["owner_subscription_id"] == uid);
    CHECK(u["user"]["group"]["name"] == "UserGroupBlock");
    CHECK(count(s, "subscription_instances WHERE subscription_instance_id = ?", {placeholder}) ==
          1);
    CHECK(s.load_subscription(uid) == u);

    u["user"]["group"] = group["user_group"];
    u["user"]["username"] = "my_internal_user";
    u["user"]["age"] = 40;
    u["user"]["user_id"] = 4;
    u["description"] = "User my_internal_user from group Group One (internal)";
    u["status"] = "active";
    s.save_subscription(u);
    CHECK(count(s, "subscription_instances WHERE subscription_instance_id = ?", {placeholder}) ==
          0);

    json user = *s.load_subscription(uid);
    CHECK(user["affiliation"] == "internal");
    CHECK(user["user"]["name"] == "UserBlock");
    CHECK(user["user"]["owner_subscription_id"] == uid);
    CHECK(user["user"]["username"] == "my_internal_user");
    CHECK(user["user"]["age"] == 40);
    CHECK(user["user"]["user_id"] == 4);
    CHECK(user["user"]["group"] == group["user_group"]);
    CHECK(user["user"]["group"]["owner_subscription_id"] == gid);
    CHECK(user["user"]["group"]["group_name"] == "Group One");

    CHECK(ids(s.in_use_by(gid)) == std::vector<std::string>{uid});
    CHECK(ids(s.depends_on(uid)) == std::vector<std::string>{gid});
    CHECK(s.in_use_by(uid).empty());
    CHECK(s.depends_on(gid).empty());
    CHECK(s.in_use_by(gid).at(0).product.name == "User internal");

    SECTION("renaming the group is seen from the user") {
        group["user_group"]["group_name"] = "Group One Modified";
        s.save_subscription(group);
        CHECK(s.load_subscription(uid)->at("user").at("group").at("group_name") ==
              "Group One Modified");
    }
    SECTION("saving the user never writes the group's values") {
        user["user"]["group"]["group_name"] = "Hacked";
        user["user"]["group"]["bogus"] = 1;  // not validated either: not ours
        s.save_subscription(user);
        CHECK(s.load_subscription(gid)->at("user_group").at("group_name") == "Group One");
    }
    SECTION("the group's block can not go while the user uses it") {
        json g = *s.load_subscription(gid);
        g["user_group"] = nullptr;
        CHECK_THROWS_WITH(s.save_subscription(g), Catch::Contains("uses it"));
        CHECK(*s.load_subscription(gid) == group);
    }
    SECTION("moving the user to another group") {
        json other = make_group(s, "Group Two", 7);
        user["user"]["group"] = other["user_group"];
        s.save_subscription(user);
        CHECK(ids(s.in_use_by(gid)).empty());
        CHECK(ids(s.in_use_by(other["subscription_id"])) == std::vector<std::string>{uid});
        CHECK(s.load_subscription(uid)->at("user").at("group").at("group_id") == 7);
    }
    SECTION("listing by product type and status, ordered by description") {
        make_group(s, "Another", 9);
        auto groups = s.subscriptions(sub_filter("UserGroup", {}));
        REQUIRE(groups.size() == 2);
        CHECK(groups[0].description == "User Group Another");
        CHECK(groups[1].description == "User Group Group One");
        CHECK(s.subscriptions({}).size() == 3);
        CHECK(s.subscriptions(sub_filter({}, "initial")).empty());
        CHECK(ids(s.subscriptions(sub_filter("User", "active"))) == std::vector<std::string>{uid});
    }
}

TEST_CASE("saving validates values against the block definitions", "[store]") {
    sqlite_store s(":memory:");
    s.sync_catalog(tutorial_model());
    json g = make_group(s);
    const json stored = g;
    auto changes = total_changes(s);

    json bad = g;
    bad["user_group"]["group_id"] = "abc";
    bad["description"] = "changed";
    CHECK_THROWS_WITH(s.save_subscription(bad), Catch::Contains("UserGroupBlock.group_id"));
    bad = g;
    bad["user_group"]["group_id"] = 1.5;
    CHECK_THROWS_WITH(s.save_subscription(bad), Catch::Contains("UserGroupBlock.group_id"));
    bad = g;
    bad["user_group"]["group_name"] = 5;
    CHECK_THROWS_WITH(s.save_subscription(bad), Catch::Contains("UserGroupBlock.group_name"));
    bad = g;
    bad["user_group"]["colour"] = "red";
    CHECK_THROWS_WITH(s.save_subscription(bad), Catch::Contains("unknown field 'colour'") &&
                                                    Catch::Contains("UserGroupBlock"));
    bad = g;
    bad["status"] = "happy";
    CHECK_THROWS_AS(s.save_subscription(bad), store_error);
    bad = g;
    bad.erase("user_group");
    CHECK_THROWS_AS(s.save_subscription(bad), store_error);

    CHECK(total_changes(s) == changes);
    CHECK(s.load_subscription(g["subscription_id"]) == stored);
    CHECK_THROWS_AS(s.create_subscription("no-such-product", "c"), store_error);
}

TEST_CASE("processes and their steps round-trip in order", "[store]") {
    temp_dir dir;
    sqlite_store s(dir.file());
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

TEST_CASE("a rolled-back transaction leaves nothing behind", "[store]") {
    temp_dir dir;
    sqlite_store s(dir.file());
    s.sync_catalog(tutorial_model());
    s.run_schema(
        {"CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT, "
         "weight REAL, flag INTEGER)"});
    s.run_schema(
        {"CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT, "
         "weight REAL, flag INTEGER)"});

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
    s.sql().exec("INSERT INTO notes (text, weight, flag) VALUES (?, ?, ?)", {"hello", 1.5, true});
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
    s.sql().exec("INSERT INTO notes (text, weight, flag) VALUES (?, ?, ?)", {"kept", 2, nullptr});
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

TEST_CASE("reopening the file keeps everything", "[store]") {
    temp_dir dir;
    json group, user;
    process_row p;
    {
        sqlite_store s(dir.file());
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
    sqlite_store s(dir.file());
    CHECK(s.global_lock());
    CHECK(s.subscription(group["subscription_id"])->description == "User Group Group One");
    CHECK(s.steps(p.process_id).at(0).state == json{{"a", 1}});
    // Domain models need the catalog again.
    CHECK_THROWS_AS(s.load_subscription(user["subscription_id"]), store_error);
    s.sync_catalog(tutorial_model());
    CHECK(s.load_subscription(user["subscription_id"]) == user);
    CHECK(s.load_subscription(group["subscription_id"]) == group);

    CHECK(s.sql().query("PRAGMA integrity_check").at(0).at("integrity_check") == "ok");
    CHECK(s.sql().query("PRAGMA foreign_key_check").empty());
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

TEST_CASE("group commit: steps are savepoints, the group commits or vanishes whole", "[store]") {
    temp_dir dir;
    sqlite_store s(dir.file());
    s.sync_catalog(tutorial_model());
    sqlite_store reader(dir.file());  // another program looking at the same file

    auto new_process = [&] {
        process_row p;
        p.process_id = new_uuid();
        p.workflow_name = "create_user_group";
        p.last_status = process_status::running;
        return p;
    };
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
        sqlite_store dying(dir.file());
        dying.sync_catalog(tutorial_model());
        dying.begin_group();
        dying.begin();
        dying.insert_process(abandoned);
        dying.commit();
    }
    CHECK_FALSE(reader.process(abandoned.process_id));
    sqlite_store reopened(dir.file());
    CHECK_FALSE(reopened.process(abandoned.process_id));
    CHECK(reopened.processes({}).size() == 2);
    CHECK(reopened.sql().query("PRAGMA integrity_check").at(0).at("integrity_check") == "ok");
}

// Not run by default: `store_tests "[.bench]"` prints what one step's transaction costs.
TEST_CASE("benchmark: a step per transaction", "[.bench]") {
    temp_dir dir;
    sqlite_store s(dir.file(), {.synchronous_full = false, .busy_timeout_ms = 10000});
    s.sync_catalog(tutorial_model());
    json group = make_group(s);
    json user = make_user(s, group, "bench");
    process_row p;
    p.process_id = new_uuid();
    p.workflow_name = "modify_user";
    s.insert_process(p);
    const int n = 2000;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
        s.begin();
        json u = *s.load_subscription(user["subscription_id"]);
        u["user"]["age"] = i;
        s.save_subscription(u);
        step_row st;
        st.process_id = p.process_id;
        st.name = "Modify";
        st.status = step_status::success;
        st.state = {{"subscription", u}, {"i", i}};
        s.insert_step(st);
        p.last_step = "Modify";
        p.last_status = process_status::running;
        s.update_process(p);
        s.commit();
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    WARN("load + save + step + process update, synchronous=NORMAL: " << us / n << " us per step");
    CHECK(s.steps(p.process_id).size() == static_cast<std::size_t>(n));
}

TEST_CASE("a step's state is stored as exactly the text json::dump() writes", "[store]") {
    temp_dir dir;
    sqlite_store s(dir.file());
    s.sync_catalog(tutorial_model());
    process_row p;
    p.process_id = new_uuid();
    p.workflow_name = "create_user_group";
    p.last_status = process_status::running;
    s.insert_process(p);
    // Plain and escaped strings, UTF-8, control characters, every kind of number, nesting.
    json state = {{"plain", "Group One"},
                  {"quote \"and\" back\\slash", "tab\there\nnew line"},
                  {"utf8", "caf\u00e9 \xf0\x9f\x98\x80"},
                  {"control", std::string("a\x01" "b\x1f", 4)},
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
