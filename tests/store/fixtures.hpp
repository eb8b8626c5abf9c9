// What the conformance cases share: the backend loop, the tutorial's catalog model, and helpers
// that build subscriptions and count rows with portable SQL on orchestrator-core's tables.
#pragma once

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "interpreter/util/util.hpp"
#include "tests/store/backends.hpp"

// Runs the rest of the test case once per backend, with `db` its fresh database and `s` a first
// connection to it (a `wfrun::store&`).
#define WFRUN_EACH_BACKEND(db, s)                                             \
    const ::wfrun::conformance::backend& backend_under_test =                 \
        ::wfrun::conformance::backends()[GENERATE(                            \
            range(std::size_t{0}, ::wfrun::conformance::backends().size()))]; \
    INFO("backend: " << backend_under_test.name);                             \
    auto db = backend_under_test.open();                                      \
    auto s##_connection = db->connect();                                      \
    ::wfrun::store& s = *s##_connection

// Ends the case on a backend whose connections do not share a database, saying so.
#define WFRUN_NEEDS_SHARED_DATABASE(db)                                                          \
    if (!(db)->shared()) {                                                                       \
        WARN(backend_under_test.name                                                             \
             << ": skipped, this case needs two connections to one database and this backend's " \
                "databases are private to their connection");                                    \
        return;                                                                                  \
    }

namespace wfrun::conformance {

catalog_model tutorial_model();

std::string product_id(store& s, const std::string& name);

// SELECT COUNT(*) FROM `from_where`, with `?` parameters.
std::int64_t count(store& s, const std::string& from_where, const std::vector<json>& params = {});

// A group "Group One" (id 123), active and in sync, as stored.
json make_group(store& s, const std::string& name = "Group One", std::int64_t id = 123);
// A user of `group` named `username`, aged 40, active and in sync, as stored.
json make_user(store& s, const json& group, const std::string& username);

subscription_filter sub_filter(std::optional<std::string> type, std::optional<std::string> status);
process_filter proc_filter(std::optional<process_status> status,
                           std::optional<std::string> workflow, std::size_t limit = 0);

// Every column of the product rows, for comparing.
std::vector<std::vector<std::string>> rows(const std::vector<product_row>& products);
std::vector<std::string> ids(const std::vector<subscription_row>& rows);

// A process of `workflow` with a fresh id, as insert_process() takes it.
process_row new_process(const std::string& workflow = "create_user_group",
                        process_status status = process_status::running);
// A step row of `p` named `name` with `state`.
step_row new_step(const process_row& p, const std::string& name, json state = json::object());

}  // namespace wfrun::conformance
