// Small helpers shared by the passes and the engine: ids, timestamps, hashing, name suggestions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wfrun {

// A time-ordered version-7 UUID in lower-case text form: each is greater than the one before
// (within one thread).
std::string new_uuid();

// The current UTC time as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`.
std::string now_iso();
// The same format for another time. Timestamps of this one format compare correctly as text.
std::string iso_at(std::chrono::system_clock::time_point t);

// 64-bit FNV-1a; stable across runs and platforms.
std::uint64_t fnv1a(std::string_view text, std::uint64_t seed = 14695981039346656037ull);

// The candidate closest to `name` by edit distance, when it is close enough to be a likely typo;
// empty otherwise.
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace wfrun
