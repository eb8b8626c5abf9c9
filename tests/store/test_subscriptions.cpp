// Conformance: subscription_store.hpp. Subscriptions round-trip as domain models, blocks of
// other subscriptions are linked and never written, values are checked before anything is
// written, and the subscription lock's single-connection rules. (The lock under concurrent
// connections is in test_concurrency.cpp.)
#include "tests/store/fixtures.hpp"

using namespace wfrun;
using namespace wfrun::conformance;

TEST_CASE("subscriptions round-trip as domain models", "[store][subscriptions]") {
    WFRUN_EACH_BACKEND(db, s);
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

    // Saving what is stored leaves the version as it is.
    s.save_subscription(loaded);
    CHECK(s.subscription(sid)->version == 2);
    CHECK(s.load_subscription(sid) == loaded);

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

TEST_CASE("a user links its group's block without writing it", "[store][subscriptions]") {
    WFRUN_EACH_BACKEND(db, s);
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

TEST_CASE("saving validates values against the block definitions", "[store][subscriptions]") {
    WFRUN_EACH_BACKEND(db, s);
    s.sync_catalog(tutorial_model());
    json g = make_group(s);
    const json stored = g;
    const auto instances = count(s, "subscription_instances");
    const auto values = count(s, "subscription_instance_values");

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

    CHECK(count(s, "subscription_instances") == instances);
    CHECK(count(s, "subscription_instance_values") == values);
    CHECK(s.subscription(g["subscription_id"])->description == g["description"]);
    CHECK(s.load_subscription(g["subscription_id"]) == stored);
    CHECK_THROWS_AS(s.create_subscription("no-such-product", "c"), store_error);
}

TEST_CASE("the subscription lock is taken inside a transaction, on a subscription that exists",
          "[store][subscriptions]") {
    WFRUN_EACH_BACKEND(db, s);
    s.sync_catalog(tutorial_model());
    json g = make_group(s);
    const std::string gid = g["subscription_id"];
    CHECK_THROWS_AS(s.lock_subscription(gid), store_error);
    s.begin();
    CHECK(s.lock_subscription(gid));
    CHECK_FALSE(s.lock_subscription(new_uuid()));
    // The lock does not stop this transaction's own writes.
    s.set_insync(gid, false);
    g["description"] = "locked and changed";
    g["insync"] = false;
    s.save_subscription(g);
    s.commit();
    CHECK(s.subscription(gid)->description == "locked and changed");
    CHECK_FALSE(s.subscription(gid)->insync);
}
