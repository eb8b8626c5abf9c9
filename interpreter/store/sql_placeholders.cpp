// Placeholder translation for step SQL (sql_placeholders.hpp): one scanner that skips string
// literals ('...', with '' inside), quoted identifiers ("...", `...`, [...]) and comments
// (-- to the end of the line, /* ... */), and sees every other character as SQL.
#include "interpreter/store/sql_placeholders.hpp"

#include <cctype>

#include <fmt/format.h>

#include "interpreter/store/rows.hpp"

namespace wfrun {

namespace {

bool word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Calls `on_sql(i)` for every index of `sql` outside literals, identifiers and comments.
template <class F>
void scan(std::string_view sql, F&& on_sql) {
    std::size_t i = 0;
    auto skip_to = [&](char close) {
        for (++i; i < sql.size(); ++i) {
            if (sql[i] != close) continue;
            if (close != ']' && i + 1 < sql.size() && sql[i + 1] == close) {
                ++i;  // a doubled quote stands for itself
                continue;
            }
            break;
        }
    };
    for (; i < sql.size(); ++i) {
        char c = sql[i];
        if (c == '\'' || c == '"' || c == '`') {
            skip_to(c);
        } else if (c == '[') {
            skip_to(']');
        } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            while (i < sql.size() && sql[i] != '\n') ++i;
        } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
            i += 2;
            while (i + 1 < sql.size() && !(sql[i] == '*' && sql[i + 1] == '/')) ++i;
            ++i;
        } else {
            on_sql(i);
        }
    }
}

std::string_view foreign_placeholder(std::string_view sql, std::size_t i) {
    char c = sql[i];
    bool before_is_word = i > 0 && (word_char(sql[i - 1]) || sql[i - 1] == ':');
    std::size_t end = i + 1;
    while (end < sql.size() && word_char(sql[end])) ++end;
    bool has_name = end > i + 1;
    if (c == '?' && has_name) return sql.substr(i, end - i);  // ?1
    // :name, @name, $1, $name; not `::` casts nor a word's own characters.
    if ((c == ':' || c == '@' || c == '$') && has_name && !before_is_word) {
        return sql.substr(i, end - i);
    }
    return {};
}

}  // namespace

void check_placeholder_style(std::string_view sql) {
    scan(sql, [&](std::size_t i) {
        if (auto p = foreign_placeholder(sql, i); !p.empty()) {
            throw store_error(
                fmt::format("placeholder '{}' in step SQL: write '?' and pass the parameters in "
                            "order: {}",
                            p, sql));
        }
    });
}

numbered_sql number_placeholders(std::string_view sql, std::string_view prefix) {
    check_placeholder_style(sql);
    numbered_sql out;
    out.text.reserve(sql.size() + 8);
    std::size_t copied = 0;
    scan(sql, [&](std::size_t i) {
        if (sql[i] != '?') return;
        out.text.append(sql.substr(copied, i - copied));
        out.text.append(prefix);
        out.text.append(std::to_string(++out.parameters));
        copied = i + 1;
    });
    out.text.append(sql.substr(copied));
    return out;
}

}  // namespace wfrun
