// Registration of the tutorial's steps.
#include "tutorial_steps.hpp"

namespace tutorial {

void register_steps(wfrun::registry& r) {
    register_user_group_steps(r);
    register_user_steps(r);
}

std::int64_t stable_id(std::string_view name) {
    std::uint64_t h = 14695981039346656037ull;  // 64-bit FNV-1a
    for (unsigned char c : name) {
        h ^= c;
        h *= 1099511628211ull;
    }
    // Below 2^53, so that the id survives JSON readers that hold numbers as doubles.
    return static_cast<std::int64_t>(h & 0x1fffffffffffffull);
}

}  // namespace tutorial
