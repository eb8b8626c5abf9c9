// Reading `.wf` text into a syntax tree. Syntax errors come back as diagnostics with code E001,
// their position and what was expected; the parser never throws for bad input.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "grammar/ast.hpp"
#include "grammar/diagnostic.hpp"

namespace wfrun {

struct parse_result {
    ast::file file;
    std::vector<diagnostic> diagnostics;  // empty when the file parsed
    bool ok() const { return diagnostics.empty(); }
};

// Parses `source`, naming it `path` in positions and messages.
parse_result parse_source(const std::string& path, std::string_view source);

// Reads and parses a file; an unreadable file is reported as a diagnostic at line 1, column 1.
parse_result parse_file(const std::string& path);

}  // namespace wfrun
