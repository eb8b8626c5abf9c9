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

// The imaginary provisioning systems hand out ids derived from a name: deterministic and
// non-negative (orchestrator-core's example uses abs(hash(name))), and below 2^53.
std::int64_t stable_id(std::string_view name);

}  // namespace tutorial
