// Forms: pages built from hand-made syntax trees (the tutorial's forms), their pydantic-forms
// schemas, and validation. Most cases are one line in a table: a field, an input, the result.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <vector>

#include "interpreter/forms/forms.hpp"

using namespace wfrun;
using wfrun::json;

namespace {
// Schemas keep their keys in declaration order; compare them as unordered objects.
nlohmann::json unordered(const json& j) {
    return nlohmann::json::parse(j.dump());
}
}  // namespace

namespace {

// Syntax-tree builders, as the parser would produce them.

ast::value str(std::string text) {
    ast::value v;
    v.k = ast::value::kind::string;
    v.source = "\"" + text + "\"";
    v.text = std::move(text);
    return v;
}

ast::value path(std::string text) {
    ast::value v;
    v.k = text.find('.') == std::string::npos ? ast::value::kind::name : ast::value::kind::path;
    v.text = v.source = std::move(text);
    return v;
}

ast::value integer(std::int64_t n) {
    ast::value v;
    v.k = ast::value::kind::integer;
    v.number = n;
    v.source = std::to_string(n);
    return v;
}

ast::value list_value(std::vector<ast::value> items) {
    ast::value v;
    v.k = ast::value::kind::list;
    v.items = std::move(items);
    return v;
}

ast::type_ref type(std::string name, bool optional = false) {
    ast::type_ref t;
    t.name = std::move(name);
    t.optional = optional;
    return t;
}

ast::type_ref choice_type(std::vector<std::string> choices) {
    ast::type_ref t = type("choice");
    t.choices = std::move(choices);
    return t;
}

// subscription(ProductType, lifecycle...)
ast::type_ref subscription_type(std::string product_type, std::vector<std::string> lifecycles) {
    ast::type_ref t = type("subscription");
    t.args.push_back(type(std::move(product_type)));
    for (auto& l : lifecycles) t.args.push_back(type(std::move(l)));
    return t;
}

ast::type_ref list_of(ast::type_ref item) {
    ast::type_ref t = type("list");
    t.args.push_back(std::move(item));
    return t;
}

ast::modifier mod(std::string name, std::optional<ast::value> arg = std::nullopt) {
    ast::modifier m;
    m.name = std::move(name);
    m.arg = std::move(arg);
    return m;
}

ast::field_decl field(std::string name, ast::type_ref t,
                      std::optional<ast::value> default_value = std::nullopt,
                      std::vector<ast::modifier> modifiers = {}) {
    ast::field_decl f;
    f.name = std::move(name);
    f.type = std::move(t);
    f.default_value = std::move(default_value);
    f.modifiers = std::move(modifiers);
    return f;
}

ast::form_decl form(std::string name, std::vector<ast::field_decl> fields,
                    std::optional<std::string> title = std::nullopt) {
    ast::form_decl f;
    f.name = std::move(name);
    f.fields = std::move(fields);
    if (title) {
        ast::property p;
        p.key = "title";
        p.values.push_back(str(*title));
        f.properties.push_back(std::move(p));
    }
    return f;
}

const subscription_choices no_choices = [](const std::string&, const std::vector<std::string>&) {
    FAIL("no subscription field expected");
    return std::vector<choice_option>{};
};

// A submission and what it gives: `errors` as "field:type" strings in order, or the output.
struct submission {
    int line;
    json input;
    std::vector<std::string> errors;
    json output = nullptr;  // checked when not null
};

std::vector<std::string> error_list(const page_result& r) {
    std::vector<std::string> out;
    for (const auto& e : r.errors) out.push_back(e.field + ":" + e.type);
    return out;
}

void check_submissions(const form_page& page, std::initializer_list<submission> cases) {
    for (const auto& c : cases) {
        INFO("line " << c.line << ": " << c.input.dump());
        page_result r = validate_page(page, c.input);
        CHECK(error_list(r) == c.errors);
        CHECK(r.ok() == c.errors.empty());
        if (!c.output.is_null()) CHECK(r.output == c.output);
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Paths and templates

TEST_CASE("lookup_path walks objects by key and arrays by index") {
    const json root = json::parse(R"({"a": {"b": [10, {"c": "x"}], "n": null}})");
    struct {
        int line;
        const char* path;
        json expected;  // "missing" when the path does not exist
    } cases[] = {
        {__LINE__, "a.b.0", 10},          {__LINE__, "a.b.1.c", "x"},
        {__LINE__, "a.n", nullptr},       {__LINE__, "a.b.2", "missing"},
        {__LINE__, "a.x", "missing"},     {__LINE__, "a.b.c", "missing"},
        {__LINE__, "a.b.0.z", "missing"}, {__LINE__, "", "missing"},
    };
    for (const auto& c : cases) {
        INFO("line " << c.line << ": " << c.path);
        const json* found = lookup_path(root, c.path);
        if (c.expected == "missing") {
            CHECK(found == nullptr);
        } else {
            REQUIRE(found != nullptr);
            CHECK(*found == c.expected);
        }
    }
}

TEST_CASE("interpolate writes values at paths and keeps doubled braces literal") {
    const json ctx = json::parse(R"({"s": "text", "n": 7, "b": true, "z": null, "o": {"k": 1}})");
    struct {
        int line;
        const char* text;
        const char* expected;
    } cases[] = {
        {__LINE__, "plain", "plain"},
        {__LINE__, "{s}", "text"},
        {__LINE__, "n={n} b={b} z={z}", "n=7 b=true z=None"},
        {__LINE__, "{o.k}{o.k}", "11"},
        {__LINE__, "{{s}}", "{s}"},
        {__LINE__, "{{{s}}}", "{text}"},
        {__LINE__, "a } b", "a } b"},
    };
    for (const auto& c : cases) {
        INFO("line " << c.line);
        CHECK(interpolate(c.text, ctx) == c.expected);
    }
    CHECK_THROWS_WITH(interpolate("x {nope.deeper} y", ctx),
                      "unknown path 'nope.deeper' in template");
    CHECK_THROWS_AS(interpolate("x {s", ctx), form_error);
}

// ---------------------------------------------------------------------------------------------
// The tutorial's forms

TEST_CASE("terminate_form: a Label with the subscription description") {
    auto decl = form("terminate_form",
                     {field("are_you_sure", type("Label"),
                            str("Are you sure you want to remove {subscription.description}?"))});
    const json ctx = {{"subscription", {{"description", "User Group Group One"}}}};
    form_page page = build_page(decl, ctx, no_choices);

    REQUIRE(page.fields.size() == 1);
    const std::string text = "Are you sure you want to remove User Group Group One?";
    CHECK(page.fields[0].default_value == json(text));
    CHECK(page.fields[0].k == form_field::kind::label);

    // semantics §5.3, with the tutorial's text
    CHECK(unordered(page_schema(page)) == nlohmann::json::parse(R"({"additionalProperties": false,
        "properties": {"are_you_sure": {"anyOf": [{"type": "string"}, {"type": "null"}],
          "default": "Are you sure you want to remove User Group Group One?", "format": "label",
          "title": "Are You Sure", "type": "string"}},
        "title": "unknown", "type": "object"})"));
    CHECK(page_meta(page) == json{{"hasNext", true}});

    check_submissions(page, {
                                {__LINE__, json::object(), {}, {{"are_you_sure", text}}},
                                {__LINE__, {{"are_you_sure", "x"}}, {}, {{"are_you_sure", text}}},
                                {__LINE__, {{"are_you_sure", 5}}, {}, {{"are_you_sure", text}}},
                                {__LINE__, {{"other", 1}}, {"other:extra_forbidden"}},
                            });
}

TEST_CASE("modify_user_group_form: defaults from the subscription, a readonly id") {
    auto decl = form("modify_user_group_form",
                     {field("group_name", type("str"), path("subscription.user_group.group_name")),
                      field("group_id", type("int"), path("subscription.user_group.group_id"),
                            {mod("readonly")})});
    const json ctx = json::parse(
        R"({"subscription": {"user_group": {"group_name": "Group One", "group_id": 42}}})");
    form_page page = build_page(decl, ctx, no_choices);

    CHECK(unordered(page_schema(page)) == nlohmann::json::parse(R"({"additionalProperties": false,
        "properties": {
          "group_name": {"default": "Group One", "title": "Group Name", "type": "string"},
          "group_id": {"default": 42, "title": "Group Id", "type": "integer",
                       "uniforms": {"disabled": true, "value": 42}}},
        "title": "unknown", "type": "object"})"));

    check_submissions(
        page,
        {
            {__LINE__, json::object(), {}, {{"group_name", "Group One"}, {"group_id", 42}}},
            {__LINE__, {{"group_name", "New"}}, {}, {{"group_name", "New"}, {"group_id", 42}}},
            {__LINE__, {{"group_id", 42}}, {}, {{"group_name", "Group One"}, {"group_id", 42}}},
            {__LINE__, {{"group_id", "42"}}, {}, {{"group_name", "Group One"}, {"group_id", 42}}},
            {__LINE__, {{"group_id", 43}}, {"group_id:read_only"}},
            {__LINE__, {{"group_id", "x"}}, {"group_id:read_only"}},
            {__LINE__,
             {{"group_name", 1}, {"group_id", 43}},
             {"group_name:string_type", "group_id:read_only"}},
        });
    auto r = validate_page(page, {{"group_id", 43}});
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message == "Value is read-only and must be 42");
}

TEST_CASE("create_user_form: title, optional age, a one-item subscription list") {
    auto decl = form("create_user_form",
                     {field("username", type("str")), field("age", type("int", true)),
                      field("user_group_ids", list_of(subscription_type("UserGroup", {"active"})),
                            std::nullopt, {mod("min", integer(1)), mod("max", integer(1))})},
                     "{product_name}");
    int calls = 0;
    subscription_choices choices = [&](const std::string& product_type,
                                       const std::vector<std::string>& lifecycles) {
        ++calls;
        CHECK(product_type == "UserGroup");
        CHECK(lifecycles == std::vector<std::string>{"active"});
        return std::vector<choice_option>{{"0a1b2c3d-0000-4000-8000-000000000001", "User Group A"},
                                          {"0a1b2c3d-0000-4000-8000-000000000002", "User Group B"}};
    };
    form_page page = build_page(decl, {{"product_name", "User internal"}}, choices);
    CHECK(calls == 1);
    CHECK(page.title == "User internal");
    REQUIRE(page.fields.size() == 3);
    CHECK(page.fields[2].enum_title == "UserGroupEnum");

    CHECK(unordered(page_schema(page)) == nlohmann::json::parse(R"({"additionalProperties": false,
        "properties": {
          "username": {"title": "Username", "type": "string"},
          "age": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": null,
                  "title": "Age"},
          "user_group_ids": {"title": "User Group Ids", "type": "array",
            "items": {"type": "string",
              "enum": ["0a1b2c3d-0000-4000-8000-000000000001",
                       "0a1b2c3d-0000-4000-8000-000000000002"],
              "options": {"0a1b2c3d-0000-4000-8000-000000000001": "User Group A",
                          "0a1b2c3d-0000-4000-8000-000000000002": "User Group B"}},
            "minItems": 1, "maxItems": 1, "uniqueItems": true}},
        "required": ["username", "user_group_ids"],
        "title": "User internal", "type": "object"})"));

    const json a = "0a1b2c3d-0000-4000-8000-000000000001";
    const json b = "0a1b2c3d-0000-4000-8000-000000000002";
    check_submissions(
        page,
        {
            {__LINE__,
             {{"username", "u"}, {"user_group_ids", {a}}},
             {},
             {{"username", "u"}, {"age", nullptr}, {"user_group_ids", {a}}}},
            {__LINE__,
             {{"username", "u"}, {"age", "31"}, {"user_group_ids", {b}}},
             {},
             {{"username", "u"}, {"age", 31}, {"user_group_ids", {b}}}},
            {__LINE__, {{"username", "u"}, {"age", nullptr}, {"user_group_ids", {a}}}, {}},
            {__LINE__, json::object(), {"username:missing", "user_group_ids:missing"}},
            {__LINE__,
             {{"username", "u"}, {"user_group_ids", json::array()}},
             {"user_group_ids:too_short"}},
            {__LINE__,
             {{"username", "u"}, {"user_group_ids", {a, b}}},
             {"user_group_ids:too_long"}},
            {__LINE__,
             {{"username", "u"}, {"user_group_ids", {"nope"}}},
             {"user_group_ids.0:enum"}},
            {__LINE__, {{"username", "u"}, {"user_group_ids", a}}, {"user_group_ids:list_type"}},
            {__LINE__,
             {{"username", "u"}, {"user_group_ids", {a}}, {"affiliation", "x"}},
             {"affiliation:extra_forbidden"}},
        });

    auto r = validate_page(page, {{"username", "u"}, {"user_group_ids", json::array()}});
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].message == "List should have at least 1 item after validation, not 0");
}

TEST_CASE("modify_user: a list default made of context paths") {
    auto decl = form("modify_user_form",
                     {field("username", type("str"), path("subscription.user.username")),
                      field("age", type("int", true), path("subscription.user.age")),
                      field("user_group_ids", list_of(subscription_type("UserGroup", {"active"})),
                            list_value({path("subscription.user.group.owner_subscription_id")}),
                            {mod("min", integer(1)), mod("max", integer(1))})});
    const json ctx = json::parse(R"({"subscription": {"user": {"username": "jo", "age": null,
        "group": {"owner_subscription_id": "g-1"}}}})");
    subscription_choices choices = [](const std::string&, const std::vector<std::string>&) {
        return std::vector<choice_option>{{"g-1", "User Group One"}};
    };
    form_page page = build_page(decl, ctx, choices);
    CHECK(page_schema(page).count("required") == 0);
    check_submissions(page,
                      {{__LINE__,
                        json::object(),
                        {},
                        {{"username", "jo"}, {"age", nullptr}, {"user_group_ids", {"g-1"}}}}});
}

// ---------------------------------------------------------------------------------------------
// The implicit first pages

TEST_CASE("product_page and subscription_page") {
    form_page products = product_page({{"p-1", "User internal"}, {"p-2", "User external"}});
    CHECK(unordered(page_schema(products)) ==
          nlohmann::json::parse(R"({"additionalProperties": false,
        "properties": {"product": {"title": "Product", "type": "string", "format": "productId",
          "enum": ["p-1", "p-2"], "options": {"p-1": "User internal", "p-2": "User external"}}},
        "required": ["product"], "title": "unknown", "type": "object"})"));
    check_submissions(products, {
                                    {__LINE__, {{"product", "p-2"}}, {}, {{"product", "p-2"}}},
                                    {__LINE__, {{"product", "p-3"}}, {"product:enum"}},
                                    {__LINE__, json::object(), {"product:missing"}},
                                });
    CHECK(validate_page(products, {{"product", "x"}}).errors.at(0).message ==
          "Input should be 'p-1' or 'p-2'");

    // semantics §5.3, the terminate flow's page 1
    form_page subscription = subscription_page();
    CHECK(unordered(page_schema(subscription)) ==
          nlohmann::json::parse(R"({"additionalProperties":false,
        "properties":{"subscription_id":{"format":"uuid","title":"Subscription Id","type":"string"},
        "version":{"anyOf":[{"type":"integer"},{"type":"null"}],"default":null,"title":"Version"}},
        "required":["subscription_id"],"title":"unknown","type":"object"})"));
    const char* id = "5f1ee8ba-1b3c-4a4e-9e2b-2d6a7c1d0e3f";
    check_submissions(
        subscription,
        {
            {__LINE__,
             {{"subscription_id", id}},
             {},
             {{"subscription_id", id}, {"version", nullptr}}},
            {__LINE__,
             {{"subscription_id", "5F1EE8BA-1B3C-4A4E-9E2B-2D6A7C1D0E3F"}, {"version", 2}},
             {},
             {{"subscription_id", id}, {"version", 2}}},
            {__LINE__,
             {{"subscription_id", "5f1ee8ba1b3c4a4e9e2b2d6a7c1d0e3f"}},
             {},
             {{"subscription_id", id}, {"version", nullptr}}},
            {__LINE__,
             {{"subscription_id", "5f1ee8ba-1b3c-4a4e-9e2b"}},
             {"subscription_id:uuid_parsing"}},
            {__LINE__,
             {{"subscription_id", "5f1ee8ba-1b3c-4a4e-9e2b-2d6a7c1d0e3g"}},
             {"subscription_id:uuid_parsing"}},
            {__LINE__, {{"subscription_id", 5}}, {"subscription_id:uuid_type"}},
            {__LINE__, json::object(), {"subscription_id:missing"}},
            {__LINE__, json::array(), {"__root__:dict_type"}},
            {__LINE__, "x", {"__root__:dict_type"}},
        });
}

// ---------------------------------------------------------------------------------------------
// One field, many inputs

TEST_CASE("field validation, one field per page") {
    const json none = json::object();
    struct {
        int line;
        ast::field_decl decl;
        json input;        // the value sent for the field, or absent
        const char* type;  // the expected error type, "" when valid
        json output;       // the validated value when valid
    } cases[] = {
        // str
        {__LINE__, field("f", type("str")), "x", "", "x"},
        {__LINE__, field("f", type("str")), 5, "string_type", {}},
        {__LINE__, field("f", type("str")), nullptr, "string_type", {}},
        {__LINE__, field("f", type("str", true)), nullptr, "", nullptr},
        {__LINE__,
         field("f", type("str"), std::nullopt, {mod("min", integer(2))}),
         "é",
         "string_too_short",
         {}},
        {__LINE__, field("f", type("str"), std::nullopt, {mod("min", integer(2))}), "éé", "", "éé"},
        {__LINE__,
         field("f", type("str"), std::nullopt, {mod("max", integer(2))}),
         "abc",
         "string_too_long",
         {}},
        {__LINE__, field("f", type("str"), std::nullopt, {mod("pattern", str("^[a-z]+$"))}), "abc",
         "", "abc"},
        {__LINE__,
         field("f", type("str"), std::nullopt, {mod("pattern", str("^[a-z]+$"))}),
         "aBc",
         "string_pattern_mismatch",
         {}},
        {__LINE__, field("f", type("str"), std::nullopt, {mod("pattern", str("[0-9]"))}), "a1b", "",
         "a1b"},
        // int (pydantic's lax mode)
        {__LINE__, field("f", type("int")), 7, "", 7},
        {__LINE__, field("f", type("int")), -7, "", -7},
        {__LINE__, field("f", type("int")), "42", "", 42},
        {__LINE__, field("f", type("int")), " -3 ", "", -3},
        {__LINE__, field("f", type("int")), 5.0, "", 5},
        {__LINE__, field("f", type("int")), 5.5, "int_from_float", {}},
        {__LINE__, field("f", type("int")), "4x", "int_parsing", {}},
        {__LINE__, field("f", type("int")), "", "int_parsing", {}},
        {__LINE__, field("f", type("int")), true, "int_type", {}},
        {__LINE__, field("f", type("int")), json::array(), "int_type", {}},
        {__LINE__, field("f", type("int")), none, "missing", {}},
        {__LINE__, field("f", type("int"), integer(3)), none, "", 3},
        {__LINE__,
         field("f", type("int"), std::nullopt, {mod("min", integer(1))}),
         0,
         "greater_than_equal",
         {}},
        {__LINE__,
         field("f", type("int"), std::nullopt, {mod("max", integer(9))}),
         "10",
         "less_than_equal",
         {}},
        {__LINE__, field("f", type("int"), std::nullopt, {mod("max", integer(9))}), 9, "", 9},
        // bool
        {__LINE__, field("f", type("bool")), true, "", true},
        {__LINE__, field("f", type("bool")), "false", "", false},
        {__LINE__, field("f", type("bool")), "Yes", "", true},
        {__LINE__, field("f", type("bool")), 0, "", false},
        {__LINE__, field("f", type("bool")), "maybe", "bool_parsing", {}},
        {__LINE__, field("f", type("bool")), json::array(), "bool_type", {}},
        // choice
        {__LINE__, field("f", choice_type({"a", "b"})), "b", "", "b"},
        {__LINE__, field("f", choice_type({"a", "b"})), "c", "enum", {}},
        {__LINE__, field("f", choice_type({"a", "b"})), 1, "enum", {}},
        // list
        {__LINE__, field("f", list_of(type("int"))), json{1, "2"}, "", json{1, 2}},
        {__LINE__, field("f", list_of(type("int"))), "1", "list_type", {}},
        {__LINE__, field("f", list_of(choice_type({"a", "b"}))), json{"a", "a"}, "unique_list", {}},
        {__LINE__,
         field("f", list_of(type("str")), std::nullopt, {mod("max", integer(1))}),
         json{"a", "b"},
         "too_long",
         {}},
        {__LINE__, field("f", list_of(type("str")), list_value({str("x")})), none, "", json{"x"}},
        // Divider
        {__LINE__, field("f", type("Divider")), "sent", "", nullptr},
    };
    for (auto& c : cases) {
        INFO("line " << c.line << ": " << c.input.dump());
        form_page page = build_page(form("t", {c.decl}), json::object(), no_choices);
        json input = c.input == none ? json::object() : json{{"f", c.input}};
        page_result r = validate_page(page, input);
        if (*c.type == '\0') {
            CHECK(r.errors.empty());
            CHECK(r.output == json{{"f", c.output}});
        } else {
            REQUIRE(r.errors.size() == 1);
            CHECK(r.errors[0].type == c.type);
        }
    }
}

TEST_CASE("pydantic's messages") {
    struct {
        int line;
        ast::field_decl decl;
        json input;
        const char* message;
    } cases[] = {
        {__LINE__, field("f", type("str"), std::nullopt, {mod("min", integer(1))}), "",
         "String should have at least 1 character"},
        {__LINE__, field("f", type("str"), std::nullopt, {mod("max", integer(3))}), "abcd",
         "String should have at most 3 characters"},
        {__LINE__, field("f", type("str"), std::nullopt, {mod("pattern", str("^x"))}), "y",
         "String should match pattern '^x'"},
        {__LINE__, field("f", type("int"), std::nullopt, {mod("min", integer(1))}), 0,
         "Input should be greater than or equal to 1"},
        {__LINE__, field("f", type("int"), std::nullopt, {mod("max", integer(2))}), 3,
         "Input should be less than or equal to 2"},
        {__LINE__, field("f", type("int")), nullptr, "Input should be a valid integer"},
        {__LINE__, field("f", type("bool")), nullptr, "Input should be a valid boolean"},
        {__LINE__, field("f", choice_type({"a", "b", "c"})), "d",
         "Input should be 'a', 'b' or 'c'"},
        {__LINE__, field("f", list_of(type("str"))), 1, "Input should be a valid list"},
        {__LINE__, field("f", list_of(type("str")), std::nullopt, {mod("max", integer(1))}),
         json{"a", "b"}, "List should have at most 1 item after validation, not 2"},
        {__LINE__, field("f", list_of(type("str")), std::nullopt, {mod("min", integer(2))}),
         json{"a"}, "List should have at least 2 items after validation, not 1"},
    };
    for (auto& c : cases) {
        INFO("line " << c.line);
        form_page page = build_page(form("t", {c.decl}), json::object(), no_choices);
        page_result r = validate_page(page, {{"f", c.input}});
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message == c.message);
    }
    page_result r = validate_page(subscription_page(), {{"x", 1}});
    CHECK(r.errors.at(0).message == "Field required");
    CHECK(r.errors.at(1).message == "Extra inputs are not permitted");
}

TEST_CASE("field schemas") {
    struct {
        int line;
        ast::field_decl decl;
        const char* schema;
    } cases[] = {
        {__LINE__, field("flag", type("bool")), R"({"title": "Flag", "type": "boolean"})"},
        {__LINE__,
         field("n", type("int"), std::nullopt, {mod("min", integer(1)), mod("max", integer(5))}),
         R"({"title": "N", "type": "integer", "minimum": 1, "maximum": 5})"},
        {__LINE__,
         field("s", type("str", true), std::nullopt,
               {mod("min", integer(1)), mod("pattern", str("^a"))}),
         R"({"anyOf": [{"type": "string", "minLength": 1, "pattern": "^a"}, {"type": "null"}],
             "default": null, "title": "S"})"},
        {__LINE__, field("s", type("str", true), str("x{{y}}")),
         R"({"anyOf": [{"type": "string"}, {"type": "null"}], "default": "x{y}", "title": "S"})"},
        {__LINE__, field("c", choice_type({"a"}), str("a")),
         R"({"title": "C", "type": "string", "enum": ["a"], "options": {"a": "a"}, "default": "a"})"},
        {__LINE__, field("line", type("Divider")),
         R"({"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "format": "divider",
             "title": "Line", "type": "string"})"},
        {__LINE__, field("ids", list_of(type("int"))),
         R"({"title": "Ids", "type": "array", "items": {"type": "integer"}})"},
        {__LINE__, field("x_2y_z", type("str")), R"({"title": "X 2Y Z", "type": "string"})"},
    };
    for (auto& c : cases) {
        INFO("line " << c.line);
        form_page page = build_page(form("t", {c.decl}), json::object(), no_choices);
        CHECK(unordered(page_schema(page)["properties"][c.decl.name]) ==
              nlohmann::json::parse(c.schema));
    }
}

// ---------------------------------------------------------------------------------------------
// Declarations that do not fit

TEST_CASE("form_error names the form, the field and the problem") {
    const json ctx = {{"subscription", {{"user_group", {{"group_name", nullptr}}}}}};
    struct {
        int line;
        ast::form_decl decl;
        const char* message;
    } cases[] = {
        {__LINE__, form("f", {field("g", type("str"), path("subscription.user_group.group_id"))}),
         "form 'f' field 'g': unknown path 'subscription.user_group.group_id'"},
        {__LINE__, form("f", {field("g", type("str"), str("x {subscription.nope}"))}),
         "form 'f' field 'g': unknown path 'subscription.nope' in template"},
        {__LINE__, form("f", {field("g", type("Label"), str("{nope}"))}),
         "form 'f' field 'g': unknown path 'nope' in template"},
        {__LINE__, form("f", {field("g", list_of(type("str")), list_value({path("a.b")}))}),
         "form 'f' field 'g': unknown path 'a.b'"},
        {__LINE__, form("f", {}, "{product_name}"),
         "form 'f' title: unknown path 'product_name' in template"},
        {__LINE__, form("f", {field("g", type("float"))}),
         "form 'f' field 'g': unknown field type 'float'"},
        {__LINE__, form("f", {field("g", list_of(type("Label")))}),
         "form 'f' field 'g': unknown field type 'Label'"},
        {__LINE__, form("f", {field("g", type("str"), std::nullopt, {mod("pattern", str("("))})}),
         "form 'f' field 'g': invalid pattern '('"},
        {__LINE__, form("f", {field("g", type("int"), std::nullopt, {mod("readonly")})}),
         "form 'f' field 'g': a readonly field needs a default"},
        {__LINE__, form("f", {field("g", type("int"), std::nullopt, {mod("shiny")})}),
         "form 'f' field 'g': unknown modifier 'shiny'"},
    };
    for (auto& c : cases) {
        INFO("line " << c.line);
        CHECK_THROWS_WITH(build_page(c.decl, ctx, no_choices), Catch::StartsWith(c.message));
    }
    // An existing null is a fine default; `required X` belongs to blocks and is ignored here.
    auto page =
        build_page(form("f", {field("g", type("str"), path("subscription.user_group.group_name"),
                                    {mod("required", path("provisioning"))})}),
                   ctx, no_choices);
    CHECK(page.fields.at(0).default_value == json(nullptr));
}

TEST_CASE("compile_field: each refused declaration with its lint code, accepted ones without") {
    struct {
        int line;
        ast::field_decl decl;
        std::vector<std::string> codes;  // the problems' codes, in order
    } cases[] = {
        {__LINE__, field("g", type("str"), std::nullopt, {mod("pattern", str("^[a-z]+$"))}), {}},
        {__LINE__, field("g", type("str"), std::nullopt, {mod("pattern", str("([a-z"))}), {"E114"}},
        {__LINE__,
         field("g", list_of(type("str")), std::nullopt, {mod("pattern", str("x{2,1}"))}),
         {"E114"}},
        {__LINE__,
         field("g", type("int"), std::nullopt, {mod("min", integer(0)), mod("max", integer(9))}),
         {}},
        {__LINE__, field("g", list_of(type("bool")), std::nullopt, {mod("max", integer(2))}), {}},
        {__LINE__, field("g", type("bool"), std::nullopt, {mod("min", integer(1))}), {"E115"}},
        {__LINE__,
         field("g", choice_type({"a"}), std::nullopt, {mod("max", integer(1))}),
         {"E115"}},
        {__LINE__,
         field("g", subscription_type("UserGroup", {}), std::nullopt,
               {mod("min", integer(1)), mod("max", integer(1))}),
         {"E115", "E115"}},
        {__LINE__, field("g", type("Divider"), std::nullopt, {mod("max", integer(1))}), {"E115"}},
        {__LINE__, field("g", type("int"), std::nullopt, {mod("min", str("1"))}), {"E115"}},
        {__LINE__, field("g", type("int"), std::nullopt, {mod("pattern", str("1"))}), {"E116"}},
        {__LINE__,
         field("g", list_of(choice_type({"a"})), std::nullopt, {mod("pattern", str("a"))}),
         {"E116"}},
        {__LINE__, field("g", type("str"), std::nullopt, {mod("pattern", integer(1))}), {"E116"}},
        {__LINE__, field("g", type("int"), std::nullopt, {mod("readonly")}), {"E117"}},
        {__LINE__, field("g", type("int"), integer(1), {mod("readonly")}), {}},
        {__LINE__, field("g", type("int", true), std::nullopt, {mod("readonly")}), {}},
        {__LINE__, field("g", type("Label"), std::nullopt, {mod("readonly")}), {}},
        {__LINE__, field("g", type("int"), std::nullopt, {mod("shiny")}), {"E108"}},
        {__LINE__, field("g", type("int"), std::nullopt, {mod("required", path("active"))}), {}},
        {__LINE__, field("g", type("float"), std::nullopt, {mod("readonly")}), {"E104"}},
        {__LINE__, field("g", list_of(type("Label"))), {"E104"}},
        {__LINE__, field("g", type("subscription")), {"E104"}},
        // Every problem of a field, not the first.
        {__LINE__,
         field("g", type("bool"), std::nullopt,
               {mod("readonly"), mod("min", integer(1)), mod("pattern", str("("))}),
         {"E115", "E116", "E117"}},
    };
    for (const auto& c : cases) {
        INFO("line " << c.line);
        std::vector<field_problem> problems;
        compile_field(c.decl, problems);
        std::vector<std::string> codes;
        for (const auto& p : problems) codes.push_back(p.code);
        CHECK(codes == c.codes);
    }
}

TEST_CASE("build_page refuses what compile_field finds, with its message") {
    const json ctx = json::object();
    struct {
        int line;
        ast::field_decl decl;
        const char* message;
    } cases[] = {
        {__LINE__, field("g", type("bool"), std::nullopt, {mod("min", integer(1))}),
         "form 'f' field 'g': min applies to str, int and list, not to bool"},
        {__LINE__, field("g", type("int"), std::nullopt, {mod("pattern", str("1"))}),
         "form 'f' field 'g': pattern applies to str and list(str), not to int"},
        {__LINE__, field("g", list_of(type("str")), std::nullopt, {mod("pattern", str("[a-"))}),
         "form 'f' field 'g': invalid pattern '[a-'"},
    };
    for (auto& c : cases) {
        INFO("line " << c.line);
        std::vector<field_problem> problems;
        compile_field(c.decl, problems);
        REQUIRE(problems.size() == 1);
        CHECK_THROWS_WITH(
            build_page(form("f", {c.decl}), ctx, no_choices),
            Catch::StartsWith(c.message) && Catch::Contains(problems.front().message));
    }
}

// ---------------------------------------------------------------------------------------------

TEST_CASE("validation_errors_json: the FormValidationError body") {
    CHECK(
        validation_errors_json({{"user_group_ids.0", "Input should be 'a'", "enum"},
                                {"__root__", "Input should be a valid dictionary", "dict_type"}}) ==
        json::parse(R"({"title": "Form not valid", "type": "FormValidationError", "status": 400,
            "validation_errors": [
              {"loc": ["user_group_ids", 0], "msg": "Input should be 'a'", "type": "enum"},
              {"loc": ["__root__"], "msg": "Input should be a valid dictionary",
               "type": "dict_type"}]})"));
}
