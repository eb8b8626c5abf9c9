// The tutorial's own steps (User and UserGroup), registered the way any program registers its
// steps: through one explicit function, against the public step API only.
#pragma once

#include <cstdint>
#include <string_view>

#include <wfrun/step.hpp>

namespace tutorial {

// Registers every step of the tutorial and the tables of its imaginary provisioning systems.
void register_steps(wfrun::registry& r);

void register_user_group_steps(wfrun::registry& r);
void register_user_steps(wfrun::registry& r);

// The imaginary provisioning systems hand out ids in order, one more than the largest `column`
// of `table` so far, never one that a row holds: two groups (or users) of the same name get two
// ids. A unique index on the column keeps two concurrent provisionings from storing one id
// twice (the one that commits second fails, and provisions anew when it is resumed).
std::int64_t next_id(wfrun::sql_session& db, std::string_view table, std::string_view column);

}  // namespace tutorial
