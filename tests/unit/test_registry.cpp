// The step registry: manifests are checked at registration; lookups prefer the workflow's
// product type.
#include <catch2/catch.hpp>

#include <wfrun/step.hpp>

#include "stdlib/builtin_steps.hpp"
#include "tutorial_steps.hpp"

using namespace wfrun;

namespace {
json nothing(step_context&) {
    return nullptr;
}

void check_rejected(int line, step_manifest m, const std::string& fragment) {
    INFO("line " << line);
    registry r;
    r.add({.name = "taken", .display_name = "Taken"}, nothing);
    try {
        r.add(std::move(m), nothing);
        FAIL("registration was accepted");
    } catch (const registration_error& e) {
        CHECK_THAT(e.what(), Catch::Contains(fragment));
    }
}
}  // namespace

TEST_CASE("invalid manifests fail at registration") {
    check_rejected(__LINE__, {.name = "", .display_name = "x"}, "identifier");
    check_rejected(__LINE__, {.name = "two words", .display_name = "x"}, "identifier");
    check_rejected(__LINE__, {.name = "s"}, "display name is required");
    check_rejected(__LINE__, {.name = "s", .display_name = "Set to '{state}'"},
                   "'{state}' names no parameter");
    check_rejected(__LINE__, {.name = "s", .display_name = "x", .params = {{"a"}, {"a"}}},
                   "declared twice");
    check_rejected(__LINE__, {.name = "s", .display_name = "x", .reads = {{"k"}, {"k"}}},
                   "listed twice");
    check_rejected(__LINE__, {.name = "taken", .display_name = "Again"}, "registered twice");
}

TEST_CASE("a step registered for a product type is found first for it") {
    registry r;
    r.add({.name = "initialize", .display_name = "Generic"}, nothing);
    r.add({.name = "initialize", .display_name = "For groups", .product_type = "UserGroup"},
          nothing);
    CHECK(r.find("initialize", "UserGroup")->manifest.display_name == "For groups");
    CHECK(r.find("initialize", "User")->manifest.display_name == "Generic");
    CHECK(r.find("missing", "User") == nullptr);
    CHECK(r.contains("initialize"));
}

TEST_CASE("display names take the arguments") {
    step_manifest m{.name = "set_status",
                    .display_name = "Set subscription to '{lifecycle}'",
                    .params = {{"lifecycle", value_type::lifecycle}}};
    CHECK(display_name(m, {{"lifecycle", "terminated"}}) == "Set subscription to 'terminated'");
}

TEST_CASE("the builtin and tutorial steps register with their orchestrator-core names") {
    registry r;
    register_stdlib(r);
    tutorial::register_steps(r);
    CHECK(r.find("init", "")->manifest.display_name == "Start");
    CHECK(r.find("done", "")->manifest.display_name == "Done");
    CHECK(r.find("unsync", "")->manifest.display_name == "Lock subscription");
    CHECK(r.find("resync", "")->manifest.display_name == "Unlock subscription");
    CHECK(r.find("store_process_subscription", "")->manifest.display_name ==
          "Create Process Subscription relation");
    CHECK(r.find("deprovision_user_group", "UserGroup")->manifest.display_name ==
          "Deprovision user group");
    CHECK(r.find("deprovision_user_group", "User") == nullptr);
    CHECK(!r.schemas().empty());
}
