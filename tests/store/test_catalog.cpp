// Conformance: catalog_store.hpp. Syncing the catalog model, its idempotence, products and the
// workflows linked to them, and the refusal to orphan subscriptions.
#include "tests/store/fixtures.hpp"

using namespace wfrun;
using namespace wfrun::conformance;

TEST_CASE("catalog sync is idempotent and keeps ids", "[store][catalog]") {
    WFRUN_EACH_BACKEND(db, s);
    const catalog_model model = tutorial_model();
    s.sync_catalog(model);
    const auto before = s.products();
    REQUIRE(before.size() == 2);
    CHECK(before[0].name == "User Group");
    CHECK(before[0].product_type == "UserGroup");
    CHECK(before[0].tag == "GROUP");
    CHECK(before[0].description == "user group administration");
    CHECK(before[0].status == "active");
    const std::string create_user_id =
        s.sql()
            .query("SELECT workflow_id FROM workflows WHERE name = ?", {"create_user"})
            .at(0)
            .at("workflow_id");

    s.sync_catalog(model);
    CHECK(rows(s.products()) == rows(before));
    CHECK(count(s, "products") == 2);
    CHECK(count(s, "workflows") == 7);

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
    // UserBlock uses (depends on) UserGroupBlock.
    CHECK(count(s,
                "product_block_relations r JOIN product_blocks u ON u.product_block_id = "
                "r.in_use_by_id JOIN product_blocks d ON d.product_block_id = r.depends_on_id "
                "WHERE u.name = 'UserBlock' AND d.name = 'UserGroupBlock'") == 1);
    CHECK(count(s, "workflows WHERE name = 'task_validate_products' AND is_task = 1") == 1);

    SECTION("a second connection syncing the same model changes no id") {
        WFRUN_NEEDS_SHARED_DATABASE(db);
        auto other = db->connect();
        other->sync_catalog(model);
        CHECK(rows(other->products()) == rows(before));
        CHECK(rows(s.products()) == rows(before));
    }
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

TEST_CASE("a product with subscriptions can not leave the catalog", "[store][catalog]") {
    WFRUN_EACH_BACKEND(db, s);
    s.sync_catalog(tutorial_model());
    json group = make_group(s);
    const auto products = s.products();

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
    CHECK(rows(s.products()) == rows(products));
    CHECK(s.product_workflows(product_id(s, "User Group")).size() == 3);
    CHECK(count(s, "workflows WHERE deleted_at IS NULL") == 7);
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

TEST_CASE("the steps' own schema runs atomically and more than once", "[store][catalog]") {
    WFRUN_EACH_BACKEND(db, s);
    const std::vector<std::string> schema = {
        "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS notes_text_ix ON notes (text)"};
    s.run_schema(schema);
    s.run_schema(schema);
    s.sql().exec("INSERT INTO notes (id, text) VALUES (?, ?)", {1, "one"});
    CHECK(count(s, "notes") == 1);
    // A failing statement leaves nothing of the others behind.
    CHECK_THROWS_AS(s.run_schema({"CREATE TABLE IF NOT EXISTS other (id INTEGER PRIMARY KEY)",
                                  "CREATE TABLE broken ("}),
                    store_error);
    CHECK_THROWS_AS(s.sql().query("SELECT * FROM other"), store_error);
}
