// Registration of the tutorial's steps.
#include "tutorial_steps.hpp"

#include <fmt/format.h>

namespace tutorial {

void register_steps(wfrun::registry& r) {
    register_user_group_steps(r);
    register_user_steps(r);
}

std::int64_t next_id(wfrun::sql_session& db, std::string_view table, std::string_view column) {
    auto rows = db.query(
        fmt::format("SELECT COALESCE(MAX({0}), 0) + 1 AS next_id FROM {1}", column, table));
    return rows.at(0).at("next_id").get<std::int64_t>();
}

}  // namespace tutorial
