// The one placeholder style of the SQL a step runs through its sql_session (wfrun/step.hpp):
// a bare `?` per parameter, bound in order. Each backend translates it to its own: SQLite
// accepts it as it is, PostgreSQL wants `$1`, `$2`, ... A `?` inside a string literal, a quoted
// identifier or a comment is text, not a placeholder.
#pragma once

#include <string>
#include <string_view>

namespace wfrun {

struct numbered_sql {
    std::string text;
    int parameters = 0;
};

// `sql` with its n-th placeholder written as `prefix` followed by n (1-based): `$1`, `$2`, ...
// for prefix "$". Throws store_error when `sql` uses another placeholder style (see
// check_placeholder_style).
numbered_sql number_placeholders(std::string_view sql, std::string_view prefix);

// Throws store_error naming the statement when it has a placeholder other than a bare `?`
// (`?1`, `:name`, `@name`, `$1`, `$name`) outside literals, identifiers and comments.
void check_placeholder_style(std::string_view sql);

}  // namespace wfrun
