// Runs the grammar with its actions over a source text and turns the first syntax error into a
// diagnostic (E001, or the code of a coded_parse_error: E118 nesting, E119 numbers). This is
// the only place that catches PEGTL's exceptions: callers of parse_source and parse_file never
// see one.
#include "grammar/parse.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include <tao/pegtl.hpp>

#include "grammar/actions.hpp"
#include "grammar/errors.hpp"
#include "grammar/grammar.hpp"

namespace wfrun {

namespace {

namespace p = tao::pegtl;

diagnostic make_error(std::shared_ptr<const std::string> file, std::size_t line, std::size_t column,
                      std::string code, std::string message) {
    return diagnostic{ast::position{std::move(file), line, column}, severity::error,
                      std::move(code), std::move(message)};
}

// The whole file, or nullopt with errno saying why not. C stdio rather than a stream: opening
// a std::ifstream costs more than parsing a small file. The text is allocated once, at the size
// the file has when opened.
std::optional<std::string> read_file(const std::string& path) {
    errno = 0;
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                               &std::fclose);
    if (!file) {
        return std::nullopt;
    }
    std::string text;
    if (std::fseek(file.get(), 0, SEEK_END) == 0) {
        if (const long size = std::ftell(file.get()); size > 0) {
            text.reserve(static_cast<std::size_t>(size));
        }
        std::rewind(file.get());
    }
    char buffer[1 << 16];
    while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get())) {
        text.append(buffer, n);
    }
    if (std::ferror(file.get()) != 0) {
        return std::nullopt;
    }
    return text;
}

}  // namespace

parse_result parse_source(const std::string& path, std::string_view source) {
    parse_result result;
    result.file.path = path;
    const auto file_name = std::make_shared<const std::string>(path);
    grammar::context ctx(file_name, &result.file, source.data());
    p::memory_input<p::tracking_mode::lazy, p::eol::lf_crlf> in(
        source.data(), source.data() + source.size(), path);
    try {
        if (!p::parse<grammar::file, grammar::action, grammar::control>(in, result.file, ctx)) {
            // Unreachable: the grammar ends in must<end_of_file>. Kept so that a change there
            // cannot turn a failure into silence.
            result.diagnostics.push_back(make_error(file_name, 1, 1, "E001", "syntax error"));
        }
    } catch (const p::parse_error& e) {
        std::size_t line = 1;
        std::size_t column = 1;
        if (!e.positions().empty()) {
            line = e.positions().front().line;
            column = e.positions().front().column;
        }
        // Nesting too deep and numbers out of range have codes of their own.
        const auto* coded = dynamic_cast<const grammar::coded_parse_error*>(&e);
        result.diagnostics.push_back(make_error(file_name, line, column,
                                                coded != nullptr ? coded->code : "E001",
                                                std::string(e.message())));
    }
    return result;
}

parse_result parse_file(const std::string& path) {
    std::error_code ec;
    std::string reason;
    if (std::filesystem::is_directory(path, ec)) {
        reason = "is a directory";
    } else if (auto text = read_file(path)) {
        return parse_source(path, *text);
    } else {
        reason = errno != 0 ? std::strerror(errno) : "read failed";
    }
    parse_result result;
    result.file.path = path;
    result.diagnostics.push_back(make_error(std::make_shared<const std::string>(path), 1, 1, "E002",
                                            "cannot read file: " + reason));
    return result;
}

}  // namespace wfrun
