// Step lookups for the passes that follow chains (resolve, check, plan): each name is looked up
// in the registry once per product type, however often chains name it.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include <wfrun/step.hpp>

namespace wfrun {

// A hash for names and step keys in the passes' lookup tables. std::hash on a string runs a
// general-purpose byte mixer that costs more than the rest of a lookup; eight bytes at a time with
// one multiply each spread identifiers well enough for a hash table.
struct name_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;
        std::uint64_t h = s.size() * k;
        auto mix = [&h](std::uint64_t word) {
            h = (h ^ word) * k;
            h ^= h >> 32;
        };
        std::uint64_t word = 0;
        if (s.size() < 8) {
            for (char c : s) word = word << 8 | static_cast<unsigned char>(c);
            mix(word);
            return static_cast<std::size_t>(h);
        }
        for (std::size_t i = 0; i + 8 < s.size(); i += 8) {
            std::memcpy(&word, s.data() + i, 8);
            mix(word);
        }
        std::memcpy(&word, s.data() + s.size() - 8, 8);  // the last eight, overlapping
        mix(word);
        return static_cast<std::size_t>(h);
    }
};

// Registry entries by step name for one product type, each name looked up once: chains name the
// same few steps many times, and a registry lookup compares whole names down a tree. A pass
// keeps one finder per product type (see step_finders).
class step_finder {
  public:
    step_finder(const registry& reg, std::string product_type)
        : reg_(reg), product_type_(std::move(product_type)) {}

    // registry::find(name, product_type). `name` must outlive the finder.
    const step_entry* find(std::string_view name) {
        auto [it, fresh] = found_.try_emplace(name, nullptr);
        if (fresh) it->second = reg_.find(name, product_type_);
        return it->second;
    }

    const std::string& product_type() const { return product_type_; }

  private:
    const registry& reg_;
    std::string product_type_;
    std::unordered_map<std::string_view, const step_entry*, name_hash> found_;
};

// The step_finder of each product type, made on first use.
class step_finders {
  public:
    explicit step_finders(const registry& reg) : reg_(reg) {}

    step_finder& operator[](const std::string& product_type) {
        return finders_.try_emplace(product_type, reg_, product_type).first->second;
    }

  private:
    const registry& reg_;
    std::map<std::string, step_finder, std::less<>> finders_;
};

}  // namespace wfrun
