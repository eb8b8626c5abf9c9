// Tests of the `.wf` parser: one line per case for the grammar rules, the syntax tree of the
// tutorial's declarations with their positions, a table of broken inputs with where and what the
// error says, every ```wf example of docs/language.md, and inputs meant to break the parser.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze.hpp>

#include "grammar/grammar.hpp"
#include "grammar/parse.hpp"

namespace p = tao::pegtl;
namespace g = wfrun::grammar;
using wfrun::ast::element;
using wfrun::ast::value;

namespace {

// True when `Rule` matches all of `input` (a required part that fails counts as no match).
template <typename Rule>
void verify_rule(int line, std::string_view input, bool expected) {
    bool matched = false;
    try {
        p::memory_input in(input.data(), input.data() + input.size(), "test");
        matched = p::parse<p::seq<Rule, p::eof>>(in);
    } catch (const p::parse_error&) {
        matched = false;
    }
    INFO("test_grammar.cpp:" << line << ": `" << input << "`");
    CHECK(matched == expected);
}

wfrun::parse_result parse(std::string_view source) {
    return wfrun::parse_source("test.wf", source);
}

// Parses `source`, failing the test with the diagnostic if it does not parse.
wfrun::ast::file parse_ok(std::string_view source) {
    auto result = parse(source);
    for (const auto& d : result.diagnostics) {
        FAIL_CHECK(wfrun::format_diagnostic(d));
    }
    return std::move(result.file);
}

// The default value of the only field of `form f { x: int = <literal> }`.
value value_of(const std::string& literal) {
    const auto file = parse_ok("form f { x: int = " + literal + " }");
    REQUIRE(file.forms.size() == 1);
    REQUIRE(file.forms[0].fields.size() == 1);
    REQUIRE(file.forms[0].fields[0].default_value.has_value());
    return *file.forms[0].fields[0].default_value;
}

// The steps of `workflow w { steps <chain> }`.
wfrun::ast::chain steps_of(const std::string& chain) {
    const auto file = parse_ok("workflow w { steps " + chain + " }");
    REQUIRE(file.workflows.size() == 1);
    return file.workflows[0].steps;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The tutorial's declarations, in one file.
constexpr std::string_view tutorial = R"(# The beginner tutorial in one file.
block UserGroupBlock {
    description "user group block"
    tag UGB
    group_name: str  required provisioning  "name of the user group"
    group_id:   int  required active        "id of the user group"
}

block UserBlock {
    description "user block"
    tag UB
    group:    UserGroupBlock                  # in use by
    username: str  required provisioning      "name of the user"
    age:      int                             "age of the user"
    user_id:  int  required active            "id of the user"
}

product "User Group" {
    type UserGroup
    tag GROUP
    description "user group administration"
    user_group: UserGroupBlock
}

product "User internal" {
    type User
    tag USER_INT
    description "user administration - internal"
    fixed affiliation = "internal"
    user: UserBlock
}

form terminate_form {
    are_you_sure: Label = "Are you sure you want to remove {subscription.description}?"
}

form modify_user_group_form {
    group_name: str = subscription.user_group.group_name
    group_id:   int = subscription.user_group.group_id  readonly
}

form create_user_form {
    title "{product_name}"
    username:       str
    age:            int?
    user_group_ids: list(subscription(UserGroup, active))  min 1  max 1
}

workflow terminate_user_group {
    description  "Terminate user group"
    target       TERMINATE
    product_type UserGroup
    form         terminate_form, confirm_form

    steps init
        >> store_process_subscription(Target.TERMINATE)
        >> unsync
        >> if approved { deprovision_user_group }
        >> input(approval_form) timeout(1h, then: abort)
        >> deprovision_user_group retry(attempts: 5, delay: 10s, backoff: 2, max_delay: 5m, then: fail)
        >> group "Clean up" { set_status(SubscriptionLifecycle.TERMINATED) >> (resync) }
        >> done
}

chain provision = provision_user_group >> set_status(ACTIVE)
)";

}  // namespace

TEST_CASE("the grammar has no cycles without progress", "[grammar]") {
    REQUIRE(p::analyze<g::file>(-1) == 0);
}

TEST_CASE("tokens", "[grammar]") {
    verify_rule<g::ident>(__LINE__, "abc", true);
    verify_rule<g::ident>(__LINE__, "_a1", true);
    verify_rule<g::ident>(__LINE__, "A_b_9", true);
    verify_rule<g::ident>(__LINE__, "1abc", false);
    verify_rule<g::ident>(__LINE__, "a-b", false);
    verify_rule<g::ident>(__LINE__, "", false);

    verify_rule<g::quoted>(__LINE__, R"("")", true);
    verify_rule<g::quoted>(__LINE__, R"("user group")", true);
    verify_rule<g::quoted>(__LINE__, R"("a\"b\\c\nd\te")", true);
    verify_rule<g::quoted>(__LINE__, R"("\u{e9}\u{1F600}\u{10FFFF}")", true);
    verify_rule<g::quoted>(__LINE__, "\"caf\xC3\xA9\"", true);
    verify_rule<g::quoted>(__LINE__, R"("{product_name} {{x}}")", true);
    verify_rule<g::quoted>(__LINE__, R"("\q")", false);
    verify_rule<g::quoted>(__LINE__, R"("\u{}")", false);
    verify_rule<g::quoted>(__LINE__, R"("\u{1234567}")", false);
    verify_rule<g::quoted>(__LINE__, R"("\u1234")", false);
    verify_rule<g::quoted>(__LINE__, "\"line\nbreak\"", false);
    verify_rule<g::quoted>(__LINE__, R"("open)", false);
    verify_rule<g::quoted>(__LINE__, R"(unquoted)", false);

    verify_rule<g::integer>(__LINE__, "0", true);
    verify_rule<g::integer>(__LINE__, "42", true);
    verify_rule<g::integer>(__LINE__, "-7", true);
    verify_rule<g::integer>(__LINE__, "- 7", false);
    verify_rule<g::integer>(__LINE__, "12ab", false);

    verify_rule<g::duration>(__LINE__, "500ms", true);
    verify_rule<g::duration>(__LINE__, "5s", true);
    verify_rule<g::duration>(__LINE__, "2m", true);
    verify_rule<g::duration>(__LINE__, "1h", true);
    verify_rule<g::duration>(__LINE__, "5", false);
    verify_rule<g::duration>(__LINE__, "5 s", false);
    verify_rule<g::duration>(__LINE__, "5min", false);
    verify_rule<g::duration>(__LINE__, "5d", false);
    verify_rule<g::duration>(__LINE__, "-5s", false);

    verify_rule<g::comment>(__LINE__, "# anything, even \"quotes\"", true);
    verify_rule<g::sep>(__LINE__, "  \t\n # c\r\n  # d\n", true);
}

TEST_CASE("values", "[grammar]") {
    verify_rule<g::value>(__LINE__, R"("text")", true);
    verify_rule<g::value>(__LINE__, "10s", true);
    verify_rule<g::value>(__LINE__, "-3", true);
    verify_rule<g::value>(__LINE__, "true", true);
    verify_rule<g::value>(__LINE__, "TERMINATE", true);
    verify_rule<g::value>(__LINE__, "Target.TERMINATE", true);
    verify_rule<g::value>(__LINE__, "subscription.user_group.group_name", true);
    verify_rule<g::value>(__LINE__, "[]", true);
    verify_rule<g::value>(__LINE__, "[1, \"a\", [b.c], 5m]", true);
    verify_rule<g::value>(__LINE__, "[ 1 ,\n 2 ]", true);
    verify_rule<g::value>(__LINE__, "a.", false);
    verify_rule<g::value>(__LINE__, "a. b", false);
    verify_rule<g::value>(__LINE__, "[1,]", false);
    verify_rule<g::value>(__LINE__, "[1", false);
    verify_rule<g::value>(__LINE__, "{}", false);
}

TEST_CASE("types, fields and modifiers", "[grammar]") {
    verify_rule<g::type>(__LINE__, "str", true);
    verify_rule<g::type>(__LINE__, "int?", true);
    verify_rule<g::type>(__LINE__, "list(int)", true);
    verify_rule<g::type>(__LINE__, "list(subscription(UserGroup, active))", true);
    verify_rule<g::type>(__LINE__, "choice(\"a\", \"b\")?", true);
    verify_rule<g::type>(__LINE__, "list()", false);
    verify_rule<g::type>(__LINE__, "list(int", false);
    verify_rule<g::type>(__LINE__, "list(1)", false);

    verify_rule<g::field>(__LINE__, "username: str", true);
    verify_rule<g::field>(__LINE__, "group_name: str  required provisioning  \"name\"", true);
    verify_rule<g::field>(__LINE__, "group_id: int = subscription.user_group.group_id readonly",
                          true);
    verify_rule<g::field>(__LINE__, "ids: list(int) = [1] min 1 max 1", true);
    verify_rule<g::field>(__LINE__, "name: str pattern \"^[a-z]+$\"", true);
    verify_rule<g::field>(__LINE__, "min: int = 1 min 0", true);
    verify_rule<g::field>(__LINE__, "label: Label = \"Sure?\"", true);
    verify_rule<g::field>(__LINE__, "x : int", true);
    verify_rule<g::field>(__LINE__, "x:", false);
    verify_rule<g::field>(__LINE__, "x: int =", false);
    verify_rule<g::field>(__LINE__, "x: int required", false);
    verify_rule<g::field>(__LINE__, "x: int min", false);
    verify_rule<g::field>(__LINE__, "x: int min \"1\"", false);
    verify_rule<g::field>(__LINE__, "x: int pattern 1", false);
    verify_rule<g::field>(__LINE__, "x int", false);

    verify_rule<g::modifier>(__LINE__, "readonly", true);
    verify_rule<g::modifier>(__LINE__, "required active", true);
    verify_rule<g::modifier>(__LINE__, "min -1", true);
    verify_rule<g::modifier>(__LINE__, "max 10", true);
    verify_rule<g::modifier>(__LINE__, "readonly: bool", false);
    verify_rule<g::modifier>(__LINE__, "optional", false);

    verify_rule<g::property>(__LINE__, "description \"x\"", true);
    verify_rule<g::property>(__LINE__, "tag UGB", true);
    verify_rule<g::property>(__LINE__, "form page_one, page_two", true);
    verify_rule<g::property>(__LINE__, "form page_one,", false);
    verify_rule<g::property>(__LINE__, "tag", false);

    verify_rule<g::fixed>(__LINE__, "fixed affiliation = \"internal\"", true);
    verify_rule<g::fixed>(__LINE__, "fixed affiliation \"internal\"", false);
}

TEST_CASE("chains", "[grammar]") {
    verify_rule<g::chain>(__LINE__, "init >> done", true);
    verify_rule<g::chain>(__LINE__, "init>>done", true);
    verify_rule<g::chain>(__LINE__, "a\n  >> b # note\n  >> c", true);
    verify_rule<g::chain>(__LINE__, "store_process_subscription(Target.TERMINATE)", true);
    verify_rule<g::chain>(__LINE__, "f()", true);
    verify_rule<g::chain>(__LINE__, "f(1, \"a\", x: 5s, y: [1, 2])", true);
    verify_rule<g::chain>(__LINE__, "input(approval_form)", true);
    verify_rule<g::chain>(__LINE__, "input", true);  // a step called input
    verify_rule<g::chain>(__LINE__, "if approved { a }", true);
    verify_rule<g::chain>(__LINE__, "if not approved { a >> b }", true);
    verify_rule<g::chain>(__LINE__, "if state.x == \"a\" { a }", true);
    verify_rule<g::chain>(__LINE__, "if x != 3 { a }", true);
    verify_rule<g::chain>(__LINE__, "(a >> (b >> c))", true);
    verify_rule<g::chain>(__LINE__, "group \"Clean up\" { a >> b }", true);
    verify_rule<g::chain>(__LINE__, "group", true);  // a step called group
    verify_rule<g::chain>(
        __LINE__, "a retry(attempts: 5, delay: 10s, backoff: 2, max_delay: 5m, then: fail)", true);
    verify_rule<g::chain>(__LINE__, "input(f) timeout(1h, then: abort)", true);
    verify_rule<g::chain>(__LINE__, "(a >> b) retry(attempts: 3) timeout(5m)", true);
    verify_rule<g::chain>(__LINE__, "a >>", false);
    verify_rule<g::chain>(__LINE__, "a >> >> b", false);
    verify_rule<g::chain>(__LINE__, "f(1", false);
    verify_rule<g::chain>(__LINE__, "f(1,)", false);
    verify_rule<g::chain>(__LINE__, "input()", false);
    verify_rule<g::chain>(__LINE__, "if { a }", false);
    verify_rule<g::chain>(__LINE__, "if x == { a }", false);
    verify_rule<g::chain>(__LINE__, "if x { }", false);
    verify_rule<g::chain>(__LINE__, "if x a", false);
    verify_rule<g::chain>(__LINE__, "()", false);
    verify_rule<g::chain>(__LINE__, "(a", false);
    verify_rule<g::chain>(__LINE__, "group \"x\" a", false);
    verify_rule<g::chain>(__LINE__, "a retry(attempts: 3", false);
    verify_rule<g::chain>(__LINE__, "a > b", false);
}

TEST_CASE("literal values in the tree", "[grammar][ast]") {
    struct expected {
        int line;
        std::string literal;
        value::kind k;
        std::string text;
        std::int64_t number;
    };
    const std::vector<expected> cases = {
        {__LINE__, R"("plain")", value::kind::string, "plain", 0},
        {__LINE__, R"("a\"b\\c")", value::kind::string, "a\"b\\c", 0},
        {__LINE__, R"("x\ny\tz")", value::kind::string, "x\ny\tz", 0},
        {__LINE__, R"("\u{41}\u{e9}\u{20AC}\u{1F600}")", value::kind::string,
         "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 0},
        {__LINE__, "\"caf\xC3\xA9\"", value::kind::string, "caf\xC3\xA9", 0},
        {__LINE__, R"("{{ {path} }}")", value::kind::string, "{{ {path} }}", 0},
        {__LINE__, "42", value::kind::integer, "", 42},
        {__LINE__, "-9223372036854775808", value::kind::integer, "", INT64_MIN},
        {__LINE__, "500ms", value::kind::duration, "", 500},
        {__LINE__, "10s", value::kind::duration, "", 10'000},
        {__LINE__, "5m", value::kind::duration, "", 300'000},
        {__LINE__, "1h", value::kind::duration, "", 3'600'000},
        {__LINE__, "true", value::kind::boolean, "", 1},
        {__LINE__, "false", value::kind::boolean, "", 0},
        {__LINE__, "truth", value::kind::name, "truth", 0},
        {__LINE__, "TERMINATE", value::kind::name, "TERMINATE", 0},
        {__LINE__, "Target.TERMINATE", value::kind::path, "Target.TERMINATE", 0},
    };
    for (const auto& c : cases) {
        INFO("test_grammar.cpp:" << c.line << ": " << c.literal);
        const value v = value_of(c.literal);
        CHECK(v.k == c.k);
        CHECK(v.text == c.text);
        CHECK(v.number == c.number);
        CHECK(v.source == c.literal);
        CHECK(v.pos.line == 1);
        CHECK(v.pos.column == 19);
    }

    const value list = value_of("[1, [a.b], \"s\"]");
    CHECK(list.k == value::kind::list);
    CHECK(list.source == "[1, [a.b], \"s\"]");
    REQUIRE(list.items.size() == 3);
    CHECK(list.items[0].number == 1);
    CHECK(list.items[0].pos.column == 20);
    CHECK(list.items[1].k == value::kind::list);
    REQUIRE(list.items[1].items.size() == 1);
    CHECK(list.items[1].items[0].text == "a.b");
    CHECK(list.items[2].text == "s");
    CHECK(list.items[2].pos.column == 30);
    CHECK(value_of("[]").items.empty());
}

TEST_CASE("the tutorial's declarations", "[grammar][ast]") {
    const auto file = parse_ok(tutorial);
    CHECK(file.path == "test.wf");

    REQUIRE(file.comments.size() == 2);
    CHECK(file.comments[0].text == " The beginner tutorial in one file.");
    CHECK(file.comments[0].pos.line == 1);
    CHECK(file.comments[0].pos.column == 1);
    CHECK(file.comments[1].text == " in use by");
    CHECK(file.comments[1].pos.line == 12);
    CHECK(file.comments[1].pos.column == 47);

    SECTION("blocks") {
        REQUIRE(file.blocks.size() == 2);
        const auto& ugb = file.blocks[0];
        CHECK(ugb.name == "UserGroupBlock");
        CHECK(ugb.pos.line == 2);
        CHECK(ugb.pos.column == 1);
        CHECK(ugb.pos.file_name() == "test.wf");
        REQUIRE(ugb.properties.size() == 2);
        CHECK(ugb.properties[0].key == "description");
        CHECK(ugb.properties[0].pos.line == 3);
        CHECK(ugb.properties[0].pos.column == 5);
        REQUIRE(ugb.properties[0].values.size() == 1);
        CHECK(ugb.properties[0].values[0].text == "user group block");
        CHECK(ugb.properties[0].values[0].pos.column == 17);
        const auto* tag = wfrun::ast::find_property(ugb.properties, "tag");
        REQUIRE(tag != nullptr);
        CHECK(tag->values[0].k == value::kind::name);
        CHECK(tag->values[0].text == "UGB");
        CHECK(wfrun::ast::find_property(ugb.properties, "target") == nullptr);

        REQUIRE(ugb.fields.size() == 2);
        const auto& group_name = ugb.fields[0];
        CHECK(group_name.name == "group_name");
        CHECK(group_name.pos.line == 5);
        CHECK(group_name.pos.column == 5);
        CHECK(group_name.type.name == "str");
        CHECK(group_name.type.pos.column == 17);
        CHECK_FALSE(group_name.type.optional);
        CHECK_FALSE(group_name.default_value.has_value());
        REQUIRE(group_name.modifiers.size() == 1);
        CHECK(group_name.modifiers[0].name == "required");
        CHECK(group_name.modifiers[0].pos.column == 22);
        REQUIRE(group_name.modifiers[0].arg.has_value());
        CHECK(group_name.modifiers[0].arg->text == "provisioning");
        REQUIRE(group_name.description.has_value());
        CHECK(group_name.description->text == "name of the user group");
        CHECK(group_name.description->pos.column == 45);
        CHECK(ugb.fields[1].modifiers[0].arg->text == "active");

        const auto& ub = file.blocks[1];
        CHECK(ub.name == "UserBlock");
        REQUIRE(ub.fields.size() == 4);
        CHECK(ub.fields[0].name == "group");
        CHECK(ub.fields[0].type.name == "UserGroupBlock");
        CHECK(ub.fields[0].modifiers.empty());
        CHECK_FALSE(ub.fields[0].description.has_value());
        CHECK(ub.fields[2].name == "age");
        CHECK(ub.fields[2].modifiers.empty());
        CHECK(ub.fields[2].description->text == "age of the user");
    }

    SECTION("products") {
        REQUIRE(file.products.size() == 2);
        const auto& group = file.products[0];
        CHECK(group.name == "User Group");
        CHECK(group.pos.line == 18);
        CHECK(group.properties.size() == 3);
        CHECK(wfrun::ast::find_property(group.properties, "type")->values[0].text == "UserGroup");
        CHECK(group.fixed.empty());
        REQUIRE(group.fields.size() == 1);
        CHECK(group.fields[0].name == "user_group");
        CHECK(group.fields[0].type.name == "UserGroupBlock");

        const auto& user = file.products[1];
        CHECK(user.name == "User internal");
        REQUIRE(user.fixed.size() == 1);
        CHECK(user.fixed[0].name == "affiliation");
        CHECK(user.fixed[0].val.k == value::kind::string);
        CHECK(user.fixed[0].val.text == "internal");
        CHECK(user.fixed[0].pos.line == 29);
        CHECK(user.fixed[0].pos.column == 5);
        CHECK(user.fixed[0].val.pos.column == 25);
        REQUIRE(user.fields.size() == 1);
        CHECK(user.fields[0].name == "user");
    }

    SECTION("forms") {
        REQUIRE(file.forms.size() == 3);
        const auto& terminate = file.forms[0];
        CHECK(terminate.name == "terminate_form");
        REQUIRE(terminate.fields.size() == 1);
        CHECK(terminate.fields[0].type.name == "Label");
        CHECK(terminate.fields[0].default_value->text ==
              "Are you sure you want to remove {subscription.description}?");

        const auto& modify = file.forms[1];
        REQUIRE(modify.fields.size() == 2);
        CHECK(modify.fields[0].default_value->k == value::kind::path);
        CHECK(modify.fields[0].default_value->text == "subscription.user_group.group_name");
        CHECK(modify.fields[0].modifiers.empty());
        REQUIRE(modify.fields[1].modifiers.size() == 1);
        CHECK(modify.fields[1].modifiers[0].name == "readonly");
        CHECK_FALSE(modify.fields[1].modifiers[0].arg.has_value());

        const auto& create = file.forms[2];
        REQUIRE(create.properties.size() == 1);
        CHECK(create.properties[0].key == "title");
        CHECK(create.properties[0].values[0].text == "{product_name}");
        REQUIRE(create.fields.size() == 3);
        CHECK(create.fields[1].type.name == "int");
        CHECK(create.fields[1].type.optional);
        const auto& ids = create.fields[2];
        CHECK(ids.type.name == "list");
        REQUIRE(ids.type.args.size() == 1);
        CHECK(ids.type.args[0].name == "subscription");
        CHECK(ids.type.args[0].pos.line == 46);
        CHECK(ids.type.args[0].pos.column == 26);
        REQUIRE(ids.type.args[0].args.size() == 2);
        CHECK(ids.type.args[0].args[0].name == "UserGroup");
        CHECK(ids.type.args[0].args[1].name == "active");
        REQUIRE(ids.modifiers.size() == 2);
        CHECK(ids.modifiers[0].name == "min");
        CHECK(ids.modifiers[0].arg->k == value::kind::integer);
        CHECK(ids.modifiers[0].arg->number == 1);
        CHECK(ids.modifiers[1].name == "max");
    }

    SECTION("workflows") {
        REQUIRE(file.workflows.size() == 1);
        const auto& wf = file.workflows[0];
        CHECK(wf.name == "terminate_user_group");
        CHECK(wf.pos.line == 49);
        CHECK(wf.steps_pos.line == 55);
        CHECK(wf.steps_pos.column == 5);
        REQUIRE(wf.properties.size() == 4);
        CHECK(wf.properties[1].values[0].text == "TERMINATE");
        const auto* form = wfrun::ast::find_property(wf.properties, "form");
        REQUIRE(form != nullptr);
        REQUIRE(form->values.size() == 2);
        CHECK(form->values[1].text == "confirm_form");

        const auto& s = wf.steps;
        REQUIRE(s.size() == 8);
        CHECK(s[0].k == element::kind::step);
        CHECK(s[0].name == "init");
        CHECK_FALSE(s[0].has_call);
        CHECK(s[0].pos.line == 55);
        CHECK(s[0].pos.column == 11);

        CHECK(s[1].name == "store_process_subscription");
        CHECK(s[1].has_call);
        CHECK(s[1].pos.line == 56);
        CHECK(s[1].pos.column == 12);
        REQUIRE(s[1].args.size() == 1);
        CHECK(s[1].args[0].key.empty());
        CHECK(s[1].args[0].val.k == value::kind::path);
        CHECK(s[1].args[0].val.text == "Target.TERMINATE");
        CHECK(s[1].args[0].pos.column == 39);

        CHECK(s[2].name == "unsync");

        CHECK(s[3].k == element::kind::conditional);
        REQUIRE(s[3].cond.has_value());
        CHECK_FALSE(s[3].cond->negated);
        CHECK(s[3].cond->path == "approved");
        CHECK(s[3].cond->op.empty());
        CHECK(s[3].cond->pos.column == 15);
        REQUIRE(s[3].body.size() == 1);
        CHECK(s[3].body[0].name == "deprovision_user_group");
        CHECK(s[3].body[0].pos.column == 26);

        CHECK(s[4].k == element::kind::input);
        CHECK(s[4].name == "approval_form");
        REQUIRE(s[4].options.size() == 1);
        CHECK(s[4].options[0].name == "timeout");
        CHECK(s[4].options[0].pos.column == 33);
        REQUIRE(s[4].options[0].args.size() == 2);
        CHECK(s[4].options[0].args[0].val.k == value::kind::duration);
        CHECK(s[4].options[0].args[0].val.number == 3'600'000);
        CHECK(s[4].options[0].args[1].key == "then");
        CHECK(s[4].options[0].args[1].val.text == "abort");

        CHECK(s[5].name == "deprovision_user_group");
        CHECK_FALSE(s[5].has_call);
        REQUIRE(s[5].options.size() == 1);
        const auto& retry = s[5].options[0];
        CHECK(retry.name == "retry");
        REQUIRE(retry.args.size() == 5);
        CHECK(retry.args[0].key == "attempts");
        CHECK(retry.args[0].val.number == 5);
        CHECK(retry.args[1].key == "delay");
        CHECK(retry.args[1].val.number == 10'000);
        CHECK(retry.args[2].key == "backoff");
        CHECK(retry.args[2].val.number == 2);
        CHECK(retry.args[3].key == "max_delay");
        CHECK(retry.args[3].val.number == 300'000);
        CHECK(retry.args[4].key == "then");
        CHECK(retry.args[4].val.text == "fail");

        CHECK(s[6].k == element::kind::step_group);
        CHECK(s[6].name == "Clean up");
        REQUIRE(s[6].body.size() == 2);
        CHECK(s[6].body[0].args[0].val.text == "SubscriptionLifecycle.TERMINATED");
        CHECK(s[6].body[1].k == element::kind::group);
        REQUIRE(s[6].body[1].body.size() == 1);
        CHECK(s[6].body[1].body[0].name == "resync");

        CHECK(s[7].name == "done");
    }

    SECTION("named chains") {
        REQUIRE(file.chains.size() == 1);
        const auto& c = file.chains[0];
        CHECK(c.name == "provision");
        CHECK(c.pos.line == 65);
        CHECK(c.pos.column == 1);
        REQUIRE(c.body.size() == 2);
        CHECK(c.body[0].name == "provision_user_group");
        CHECK(c.body[1].name == "set_status");
        CHECK(c.body[1].args[0].val.k == value::kind::name);
        CHECK(c.body[1].args[0].val.text == "ACTIVE");
    }
}

TEST_CASE("conditions", "[grammar][ast]") {
    auto s = steps_of("if not approved { a }");
    REQUIRE(s[0].cond.has_value());
    CHECK(s[0].cond->negated);
    CHECK(s[0].cond->path == "approved");

    s = steps_of("if subscription.status == \"active\" { a } >> if x != 3 { b }");
    REQUIRE(s.size() == 2);
    CHECK(s[0].cond->path == "subscription.status");
    CHECK(s[0].cond->op == "==");
    REQUIRE(s[0].cond->operand.has_value());
    CHECK(s[0].cond->operand->text == "active");
    CHECK(s[1].cond->op == "!=");
    CHECK(s[1].cond->operand->number == 3);

    s = steps_of("if nothing { a }");  // `not` only counts as a word of its own
    CHECK_FALSE(s[0].cond->negated);
    CHECK(s[0].cond->path == "nothing");
}

TEST_CASE("keywords are context-sensitive", "[grammar][ast]") {
    const auto file = parse_ok(R"(
form f {
    min: int = 1 min 0
    readonly: bool readonly
    required: str
    tag: str
    block: int
}
workflow w {
    steps input >> group >> retry >> steps_x >> done
}
)");
    const auto& fields = file.forms.at(0).fields;
    REQUIRE(fields.size() == 5);
    CHECK(fields[0].name == "min");
    REQUIRE(fields[0].modifiers.size() == 1);
    CHECK(fields[0].modifiers[0].name == "min");
    CHECK(fields[1].name == "readonly");
    CHECK(fields[1].modifiers.size() == 1);
    CHECK(fields[2].name == "required");
    CHECK(fields[2].modifiers.empty());
    const auto& s = file.workflows.at(0).steps;
    REQUIRE(s.size() == 5);
    for (const auto& e : s) {
        CHECK(e.k == element::kind::step);
        CHECK(e.options.empty());
    }
    CHECK(s[0].name == "input");
    CHECK(s[1].name == "group");
    CHECK(s[2].name == "retry");
}

TEST_CASE("comments are kept once, in order", "[grammar][ast]") {
    // The comment after `a` is read twice by the parser (it looks for `>>` after it); it is kept
    // once.
    const auto file = parse_ok("# one\nworkflow w { steps a # two\n }   # three\n#four");
    REQUIRE(file.comments.size() == 4);
    CHECK(file.comments[1].text == " two");
    CHECK(file.comments[1].pos.line == 2);
    CHECK(file.comments[1].pos.column == 22);
    CHECK(file.comments[2].text == " three");
    CHECK(file.comments[3].text == "four");
    CHECK(file.comments[3].pos.line == 4);
}

TEST_CASE("positions share the file name and count CRLF lines", "[grammar][ast]") {
    const auto file = parse_ok("block A {\r\n  tag X\r\n}\r\nblock B {}\r\n");
    REQUIRE(file.blocks.size() == 2);
    CHECK(file.blocks[0].properties[0].pos.line == 2);
    CHECK(file.blocks[0].properties[0].pos.column == 3);
    CHECK(file.blocks[1].pos.line == 4);
    CHECK(file.blocks[0].pos.file == file.blocks[1].pos.file);
    CHECK(file.blocks[0].pos.file == file.blocks[0].properties[0].values[0].pos.file);
}

TEST_CASE("empty and comment-only files parse", "[grammar][ast]") {
    CHECK(parse("").ok());
    CHECK(parse("   \n\t\n").ok());
    CHECK(parse("# only a comment").ok());
}

TEST_CASE("syntax errors say where and what was expected", "[grammar][errors]") {
    struct broken {
        int line;
        std::string source;
        std::size_t error_line;
        std::size_t error_column;
        std::string message;
    };
    // clang-format off
    const std::vector<broken> cases = {
        {__LINE__, "blok X {}",                                  1, 1,  "expected a declaration (block, product, form, workflow or chain)"},
        {__LINE__, "block {}",                                   1, 7,  "expected a block name after 'block'"},
        {__LINE__, "block X",                                    1, 8,  "expected '{' after block 'X'"},
        {__LINE__, "block UserGroupBlock {\n  tag UGB\n",        3, 1,  "expected '}' to close block 'UserGroupBlock'"},
        {__LINE__, "block X {\n  123\n}",                        2, 3,  "expected '}' to close block 'X'"},
        {__LINE__, "block X { a: }",                             1, 14, "expected a type after ':'"},
        {__LINE__, "block X { a: str = }",                       1, 20, "expected a value after '='"},
        {__LINE__, "block X { a: str required }",                1, 27, "expected a lifecycle after 'required'"},
        {__LINE__, "block X { a: int min x }",                   1, 22, "expected an integer after 'min'"},
        {__LINE__, "block X { a: str pattern x }",               1, 26, "expected a string after 'pattern'"},
        {__LINE__, "block X { a: list(int }",                    1, 23, "expected ')' to close the arguments of type 'list'"},
        {__LINE__, "block X { a: list(1) }",                     1, 19, "expected a type or a string"},
        {__LINE__, "block X { tag }",                            1, 15, "expected a value for 'tag'"},
        {__LINE__, "block X { tag A, }",                         1, 18, "expected a value after ','"},
        {__LINE__, "product X {}",                               1, 9,  "expected the product's display name"},
        {__LINE__, "product \"P\" { fixed a \"x\" }",            1, 23, "expected '=' after fixed input 'a'"},
        {__LINE__, "product \"P\" { fixed a = }",                1, 25, "expected a value after '='"},
        {__LINE__, "product \"P\" {",                            1, 14, "expected '}' to close product \"P\""},
        {__LINE__, "form {}",                                    1, 6,  "expected a form name after 'form'"},
        {__LINE__, "form f { title \"open }",                    1, 23, "unterminated string"},
        {__LINE__, "form f { title \"two\nlines\" }",            1, 20, "unterminated string"},
        {__LINE__, "form f { title \"bad \\q\" }",               1, 22, "unknown escape sequence '\\q'"},
        {__LINE__, "form f { title \"bad \\u00e9\" }",           1, 23, "expected '{' after '\\u'"},
        {__LINE__, "form f { title \"bad \\u{}\" }",             1, 24, "expected 1 to 6 hex digits"},
        {__LINE__, "form f { title \"bad \\u{1234567}\" }",      1, 30, "expected 1 to 6 hex digits"},
        {__LINE__, "form f { title \"bad \\u{D800}\" }",         1, 16, "invalid code point in '\\u{D800}'"},
        {__LINE__, "form f { title \"bad \\u{110000}\" }",       1, 16, "invalid code point"},
        {__LINE__, "form f { x: list(int) = [1, 2 }",            1, 31, "expected ']' to close the list"},
        {__LINE__, "form f { x: list(int) = [1, ] }",            1, 29, "expected a value after ','"},
        {__LINE__, "workflow {}",                                1, 10, "expected a workflow name after 'workflow'"},
        {__LINE__, "workflow w { steps }",                       1, 20, "expected a chain element"},
        {__LINE__, "workflow w {\n  steps a >>\n}",              3, 1,  "expected a chain element after '>>'"},
        {__LINE__, "workflow w { steps a >> b",                  1, 26, "expected '}' to close workflow 'w'"},
        {__LINE__, "workflow w { steps a steps b }",             1, 22, "'steps' written twice in workflow 'w'"},
        {__LINE__, "workflow w { steps f(1 2) }",                1, 24, "expected ')' to close the arguments of 'f'"},
        {__LINE__, "workflow w { steps f(1, ) }",                1, 25, "expected an argument after ','"},
        {__LINE__, "workflow w { steps f(x: ) }",                1, 25, "expected a value after 'x:'"},
        {__LINE__, "workflow w { steps input() }",               1, 26, "expected a form name in 'input(...)'"},
        {__LINE__, "workflow w { steps input(f }",               1, 28, "expected ')' to close 'input(...)'"},
        {__LINE__, "workflow w { steps if { a } }",              1, 23, "expected a condition after 'if'"},
        {__LINE__, "workflow w { steps if x == { a } }",         1, 28, "expected a value to compare with"},
        {__LINE__, "workflow w { steps if x a }",                1, 25, "expected '{' after the condition of 'if'"},
        {__LINE__, "workflow w { steps if x { a ",              1, 29, "expected '}' to close 'if'"},
        {__LINE__, "workflow w { steps group \"G\" a }",         1, 30, "expected '{' after group \"G\""},
        {__LINE__, "workflow w { steps group \"G\" { a ",       1, 34, "expected '}' to close group \"G\""},
        {__LINE__, "workflow w { steps (a >> b }",               1, 28, "expected ')' to close '('"},
        {__LINE__, "workflow w { steps a retry(attempts: 3 }",   1, 40, "expected ')' to close 'retry(...)'"},
        {__LINE__, "chain = a",                                  1, 7,  "expected a chain name after 'chain'"},
        {__LINE__, "chain c a",                                  1, 9,  "expected '=' after chain 'c'"},
        {__LINE__, "chain c =",                                  1, 10, "expected a chain element"},
        {__LINE__, "block X {}\n}",                              2, 1,  "expected a declaration"},
    };
    // clang-format on
    for (const auto& c : cases) {
        INFO("test_grammar.cpp:" << c.line << ": " << c.source);
        const auto result = parse(c.source);
        REQUIRE(result.diagnostics.size() == 1);
        const auto& d = result.diagnostics[0];
        INFO(wfrun::format_diagnostic(d));
        CHECK(d.code == "E001");
        CHECK(d.level == wfrun::severity::error);
        CHECK(d.pos.file_name() == "test.wf");
        CHECK(d.pos.line == c.error_line);
        CHECK(d.pos.column == c.error_column);
        CHECK_THAT(d.message, Catch::Contains(c.message));
    }
}

TEST_CASE("numbers that do not fit 64 bits are E119 where they are written", "[grammar][errors]") {
    struct too_large {
        int line;
        std::string source;
        std::size_t error_column;
        std::string message;
    };
    // clang-format off
    const std::vector<too_large> cases = {
        {__LINE__, "form f { x: int = 9223372036854775808 }",                 19, "integer out of range: 9223372036854775808"},
        {__LINE__, "form f { x: int = -9223372036854775809 }",                19, "integer out of range"},
        {__LINE__, "form f { x: int min 99999999999999999999 }",              21, "integer out of range"},
        {__LINE__, "workflow w { steps a retry(attempts: 99999999999999999999) }", 38, "integer out of range"},
        {__LINE__, "form f { x: int = 99999999999999999h }",                  19, "duration out of range: 99999999999999999h"},
        {__LINE__, "workflow w { steps a retry(delay: 9223372036854775808ms) }", 35, "duration out of range"},
        {__LINE__, "workflow w { steps a timeout(2562047788016h) }",         30, "duration out of range"},
        {__LINE__, "workflow w { steps a timeout(99999999999999999999999999s) }", 30, "duration out of range"},
    };
    // clang-format on
    for (const auto& c : cases) {
        INFO("test_grammar.cpp:" << c.line << ": " << c.source);
        const auto result = parse(c.source);
        REQUIRE(result.diagnostics.size() == 1);
        const auto& d = result.diagnostics[0];
        INFO(wfrun::format_diagnostic(d));
        CHECK(d.code == "E119");
        CHECK(d.pos.line == 1);
        CHECK(d.pos.column == c.error_column);
        CHECK_THAT(d.message, Catch::Contains(c.message));
    }
    // The extremes themselves fit.
    const auto fits = parse(
        "form f { x: int min -9223372036854775808 max 9223372036854775807 }\n"
        "workflow w { steps a retry(delay: 9223372036854775807ms, max_delay: 2562047788015h) }");
    REQUIRE(fits.ok());
    CHECK(fits.file.forms[0].fields[0].modifiers[0].arg->number ==
          std::numeric_limits<std::int64_t>::min());
    CHECK(fits.file.workflows[0].steps[0].options[0].args[1].val.number ==
          2562047788015LL * 3'600'000);
}

TEST_CASE("deep nesting is an error, not a stack overflow", "[grammar][errors]") {
    const std::vector<std::string> inputs = {
        "workflow w { steps " + std::string(100000, '(') + " }",
        "workflow w { steps f(" + std::string(100000, '[') + " }",
        "form f { x: int = " + std::string(100000, '[') + " }",
        [] {
            std::string s = "workflow w { steps ";
            for (int i = 0; i < 20000; ++i) {
                s += "if x { ";
            }
            return s;
        }(),
        [] {
            std::string s = "form f { x: ";
            for (int i = 0; i < 20000; ++i) {
                s += "list(";
            }
            return s;
        }(),
    };
    for (const auto& input : inputs) {
        INFO(input.substr(0, 40));
        const auto result = parse(input);
        REQUIRE(result.diagnostics.size() == 1);
        CHECK(result.diagnostics[0].code == "E118");
        CHECK(result.diagnostics[0].pos.line == 1);
        CHECK_THAT(result.diagnostics[0].message, Catch::Contains("nesting too deep"));
    }
    // 64 levels are fine (the element and 63 parentheses around it); the 65th is reported where
    // it starts.
    CHECK(parse("workflow w { steps " + std::string(63, '(') + "a" + std::string(63, ')') + " }")
              .ok());
    const auto deeper =
        parse("workflow w {\n steps " + std::string(64, '(') + "a" + std::string(64, ')') + " }");
    REQUIRE(deeper.diagnostics.size() == 1);
    CHECK(deeper.diagnostics[0].code == "E118");
    CHECK(deeper.diagnostics[0].pos.line == 2);
    CHECK(deeper.diagnostics[0].pos.column == 8 + 64);
}

TEST_CASE("the parser survives truncated and damaged input", "[grammar][errors]") {
    // Every prefix of a valid file, and random byte changes, give a result, never an exception.
    for (std::size_t n = 0; n <= tutorial.size(); ++n) {
        const auto result = parse(tutorial.substr(0, n));
        CHECK(result.diagnostics.size() <= 1);
    }
    std::mt19937 random(12345);
    const std::string alphabet = "{}()[]\"\\:=,.>#?\n aZ09_-\xC3\xFF";
    for (int round = 0; round < 2000; ++round) {
        std::string damaged(tutorial);
        for (int changes = 0; changes < 3; ++changes) {
            damaged[random() % damaged.size()] = alphabet[random() % alphabet.size()];
        }
        const auto result = parse(damaged);
        CHECK(result.diagnostics.size() <= 1);
        for (const auto& d : result.diagnostics) {
            CHECK(d.pos.line >= 1);
            CHECK(d.pos.column >= 1);
        }
    }
}

TEST_CASE("every wf example in docs/language.md parses", "[grammar][docs]") {
    const std::string path = std::string(WFRUN_SOURCE_DIR) + "/docs/language.md";
    std::istringstream doc(read_text(path));
    REQUIRE(doc.str().size() > 0);
    std::string line;
    std::string block;
    std::size_t line_no = 0;
    std::size_t block_start = 0;
    bool in_wf = false;
    bool in_other = false;
    int examples = 0;
    while (std::getline(doc, line)) {
        ++line_no;
        if (in_wf && line.starts_with("```")) {
            INFO("docs/language.md:" << block_start << "\n" << block);
            const auto result = wfrun::parse_source("docs/language.md", block);
            for (const auto& d : result.diagnostics) {
                FAIL_CHECK(wfrun::format_diagnostic(d));
            }
            ++examples;
            in_wf = false;
        } else if (in_wf) {
            block += line + "\n";
        } else if (in_other && line.starts_with("```")) {
            in_other = false;
        } else if (line == "```wf") {
            in_wf = true;
            block.clear();
            block_start = line_no;
        } else if (line.starts_with("```")) {
            in_other = true;
        }
    }
    CHECK_FALSE(in_wf);
    CHECK(examples >= 10);
}

TEST_CASE("parse_file reads files and reports unreadable ones", "[grammar]") {
    const auto dir = std::filesystem::temp_directory_path() / "wfrun_grammar_tests";
    std::filesystem::create_directories(dir);
    const auto good = (dir / "good.wf").string();
    std::ofstream(good) << "block A { tag X }\n";
    const auto result = wfrun::parse_file(good);
    CHECK(result.ok());
    CHECK(result.file.path == good);
    REQUIRE(result.file.blocks.size() == 1);
    CHECK(result.file.blocks[0].pos.file_name() == good);

    const auto missing = wfrun::parse_file((dir / "missing.wf").string());
    REQUIRE(missing.diagnostics.size() == 1);
    CHECK(missing.diagnostics[0].code == "E002");
    CHECK(missing.diagnostics[0].pos.line == 1);
    CHECK(missing.diagnostics[0].pos.column == 1);
    CHECK_THAT(missing.diagnostics[0].message, Catch::StartsWith("cannot read file: "));
    CHECK_THAT(missing.diagnostics[0].message, Catch::Contains("No such file"));

    const auto directory = wfrun::parse_file(dir.string());
    REQUIRE(directory.diagnostics.size() == 1);
    CHECK(directory.diagnostics[0].code == "E002");

    std::filesystem::remove_all(dir);
}

TEST_CASE("the tutorial's own workflow files parse", "[grammar]") {
    const auto root = std::filesystem::path(WFRUN_SOURCE_DIR) / "workflows";
    int files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
        if (entry.path().extension() == ".wf") {
            const auto result = wfrun::parse_file(entry.path().string());
            for (const auto& d : result.diagnostics) {
                FAIL_CHECK(wfrun::format_diagnostic(d));
            }
            ++files;
        }
    }
    CHECK(files > 0);
}

TEST_CASE("diagnostics print and sort alike", "[diagnostic]") {
    const auto a = std::make_shared<const std::string>("a.wf");
    const auto b = std::make_shared<const std::string>("b.wf");
    using wfrun::diagnostic;
    using wfrun::severity;
    const auto make = [](const std::shared_ptr<const std::string>& file, std::size_t line,
                         std::size_t column, severity level, const char* code,
                         const char* message) {
        diagnostic d;
        d.pos.file = file;
        d.pos.line = line;
        d.pos.column = column;
        d.level = level;
        d.code = code;
        d.message = message;
        return d;
    };
    const diagnostic err = make(a, 3, 7, severity::error, "E001", "expected '}'");
    const diagnostic warn = make(b, 1, 2, severity::warning, "W201", "unused form");
    CHECK(wfrun::format_diagnostic(err) == "a.wf:3:7: error[E001]: expected '}'");
    CHECK(wfrun::format_diagnostic(warn) == "b.wf:1:2: warning[W201]: unused form");

    CHECK(wfrun::has_errors({err, warn}));
    CHECK_FALSE(wfrun::has_errors({warn}));
    CHECK_FALSE(wfrun::has_errors({}));

    std::vector<diagnostic> ds;
    ds.push_back(make(b, 1, 1, severity::error, "E1", "b1"));
    ds.push_back(make(a, 2, 5, severity::error, "E1", "a25-first"));
    ds.push_back(make(a, 2, 1, severity::error, "E1", "a21"));
    ds.push_back(make(a, 10, 1, severity::error, "E1", "a101"));
    ds.push_back(make(a, 2, 5, severity::warning, "W1", "a25-second"));
    wfrun::sort_diagnostics(ds);
    std::vector<std::string> order;
    for (const auto& d : ds) {
        order.push_back(d.message);
    }
    CHECK(order == std::vector<std::string>{"a21", "a25-first", "a25-second", "a101", "b1"});
}
