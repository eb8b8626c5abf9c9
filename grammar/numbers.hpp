// Whole numbers and durations as `.wf` files and WFRUN_FAULT write them, read with their range
// checked: digits that do not fit a 64-bit integer, or a duration whose milliseconds do not,
// come back as nullopt instead of wrapping. The parser's actions and the engine's fault specs
// share these, so that a duration means the same everywhere.
#pragma once

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace wfrun {

// The longest duration any option, step argument or fault may ask for: 365 days. Ranges of
// retry(...) and timeout(...) are checked by the linter (E119, docs/lint-codes.md).
inline constexpr std::int64_t max_duration_ms = 365LL * 24 * 3600 * 1000;

// `text` as a 64-bit integer: an optional `-` and decimal digits, nothing else; nullopt when it
// is not one or does not fit.
inline std::optional<std::int64_t> parse_int64(std::string_view text) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return n;
}

// Milliseconds in one `unit` (`ms`, `s`, `m`, `h`); nullopt for another unit.
inline std::optional<std::int64_t> duration_unit_ms(std::string_view unit) {
    if (unit == "ms") return 1;
    if (unit == "s") return 1000;
    if (unit == "m") return 60'000;
    if (unit == "h") return 3'600'000;
    return std::nullopt;
}

// A duration written as digits and a unit (`500ms`, `2h`) in milliseconds; nullopt when it is
// not one, or when its milliseconds do not fit a 64-bit integer.
inline std::optional<std::int64_t> duration_to_ms(std::string_view text) {
    const std::size_t digits = text.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string_view::npos) return std::nullopt;
    const auto scale = duration_unit_ms(text.substr(digits));
    const auto n = parse_int64(text.substr(0, digits));
    if (!scale || !n || *n > std::numeric_limits<std::int64_t>::max() / *scale) {
        return std::nullopt;
    }
    return *n * *scale;
}

// Milliseconds written back as a duration in the largest unit that divides them: `2h`, `90s`,
// `0s`, `1500ms`.
inline std::string duration_text(std::int64_t ms) {
    if (ms % 3'600'000 == 0 && ms > 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms % 60'000 == 0 && ms > 0) return std::to_string(ms / 60'000) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

}  // namespace wfrun
