// The text a step's state and an input state are stored as: exactly what json::dump() writes
// (compact, keys in the object's order), produced faster for what states hold. Every backend
// stores this text, so the rows of one process read the same whatever database holds them.
#pragma once

#include <string>

#include <wfrun/step.hpp>

namespace wfrun {

// json::dump() of `v`, byte for byte.
std::string compact_json(const json& v);

}  // namespace wfrun
