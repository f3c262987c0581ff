import Testing
@testable import IAMPolicy

/// Each operator family against the rules in the IAM User Guide,
/// "IAM JSON policy elements: Condition operators" and "multivalued context keys".
@Suite("Conditions")
struct ConditionTests {
    // MARK: String

    @Test func stringEqualsIsCaseSensitiveAndValuesOr() throws {
        let c = #"{"StringEquals":{"aws:PrincipalTag/team":["red","blue"]}}"#
        #expect(try holds(c, ["aws:PrincipalTag/team": "blue"]))
        #expect(try !holds(c, ["aws:PrincipalTag/team": "Blue"]))
        #expect(try !holds(c, ["aws:PrincipalTag/team": "green"]))
        #expect(try !holds(c, [:]), "a positive operator is false when the key is absent")
    }

    @Test func conditionKeyNamesAreCaseInsensitive() throws {
        #expect(try holds(#"{"StringEquals":{"AWS:SOURCEVPCE":"vpce-1"}}"#, ["aws:SourceVpce": "vpce-1"]))
    }

    @Test func stringNotEqualsIsNorAndTrueWhenAbsent() throws {
        let c = #"{"StringNotEquals":{"aws:PrincipalTag/team":["red","blue"]}}"#
        #expect(try holds(c, ["aws:PrincipalTag/team": "green"]))
        #expect(try !holds(c, ["aws:PrincipalTag/team": "red"]))
        #expect(try !holds(c, ["aws:PrincipalTag/team": "blue"]), "matches none of the values, not 'differs from one'")
        #expect(try holds(c, [:]), "a negated operator is true when the key is absent")
    }

    @Test func ignoreCaseOperators() throws {
        #expect(try holds(#"{"StringEqualsIgnoreCase":{"k":"HeLLo"}}"#, ["k": "hello"]))
        #expect(try !holds(#"{"StringEqualsIgnoreCase":{"k":"hello"}}"#, ["k": "hello!"]))
        #expect(try !holds(#"{"StringNotEqualsIgnoreCase":{"k":"HELLO"}}"#, ["k": "hello"]))
        #expect(try holds(#"{"StringNotEqualsIgnoreCase":{"k":"HELLO"}}"#, ["k": "bye"]))
    }

    @Test func stringLikeWildcards() throws {
        let c = #"{"StringLike":{"s3:prefix":["home/*/docs","tmp/?"]}}"#
        #expect(try holds(c, ["s3:prefix": "home/alice/docs"]))
        #expect(try holds(c, ["s3:prefix": "home//docs"]), "* matches the empty run")
        #expect(try holds(c, ["s3:prefix": "home/a/b/docs"]), "* crosses / in StringLike")
        #expect(try holds(c, ["s3:prefix": "tmp/x"]))
        #expect(try holds(c, ["s3:prefix": "tmp/é"]), "? matches one character, not one byte")
        #expect(try !holds(c, ["s3:prefix": "tmp/xy"]))
        #expect(try !holds(c, ["s3:prefix": "Home/alice/docs"]), "case-sensitive")
        #expect(try holds(#"{"StringLike":{"s3:prefix":""}}"#, ["s3:prefix": ""]))
        // StringEquals treats * literally.
        #expect(try !holds(#"{"StringEquals":{"k":"a*"}}"#, ["k": "abc"]))
        #expect(try holds(#"{"StringEquals":{"k":"a*"}}"#, ["k": "a*"]))
    }

    @Test func stringNotLike() throws {
        let c = #"{"StringNotLike":{"k":["dev-*","test-*"]}}"#
        #expect(try holds(c, ["k": "prod-1"]))
        #expect(try !holds(c, ["k": "test-1"]))
        #expect(try holds(c, [:]))
    }

    // MARK: Missing keys and IfExists

    @Test func ifExistsMakesAbsentKeyTrue() throws {
        #expect(try holds(#"{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}"#, [:]))
        #expect(try !holds(#"{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}"#, ["ec2:InstanceType": "m5.large"]))
        #expect(try holds(#"{"StringNotEqualsIfExists":{"k":"x"}}"#, [:]))
        #expect(try holds(#"{"NumericLessThanIfExists":{"n":"5"}}"#, [:]))
        #expect(try !holds(#"{"NumericLessThanIfExists":{"n":"5"}}"#, ["n": "7"]))
        #expect(try holds(#"{"DateLessThanIfExists":{"aws:TokenIssueTime":"2020-01-01"}}"#, [:]))
        #expect(try holds(#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#, [:]))
        #expect(try holds(#"{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::x"}}"#, [:]))
        #expect(try holds(#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}"#, [:]))
    }

    @Test func everyOperatorFamilyOnAbsentKey() throws {
        let positive = [#"{"NumericEquals":{"n":"1"}}"#, #"{"DateEquals":{"d":"2020-01-01"}}"#, #"{"Bool":{"b":"true"}}"#,
                        #"{"BinaryEquals":{"x":"QQ=="}}"#, #"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
                        #"{"ArnEquals":{"a":"arn:aws:s3:::b"}}"#, #"{"ArnLike":{"a":"*"}}"#]
        for c in positive { #expect(try !holds(c, [:]), "\(c)") }
        let negated = [#"{"NumericNotEquals":{"n":"1"}}"#, #"{"DateNotEquals":{"d":"2020-01-01"}}"#,
                       #"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, #"{"ArnNotEquals":{"a":"arn:aws:s3:::b"}}"#,
                       #"{"ArnNotLike":{"a":"arn:aws:s3:::*"}}"#]
        for c in negated { #expect(try holds(c, [:]), "\(c)") }
    }

    @Test func multipleKeysAndOperatorsAnd() throws {
        let c = #"{"StringEquals":{"a":"1","b":"2"},"Bool":{"aws:SecureTransport":"true"}}"#
        #expect(try holds(c, ["a": "1", "b": "2", "aws:SecureTransport": "true"]))
        #expect(try !holds(c, ["a": "1", "b": "3", "aws:SecureTransport": "true"]))
        #expect(try !holds(c, ["a": "1", "b": "2", "aws:SecureTransport": "false"]))
        #expect(try !holds(c, ["a": "1", "aws:SecureTransport": "true"]))
    }

    // MARK: Set operators

    @Test func forAllValues() throws {
        let c = #"{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}"#
        #expect(try holds(c, ["aws:TagKeys": ["env"]]))
        #expect(try holds(c, ["aws:TagKeys": ["env", "team"]]))
        #expect(try !holds(c, ["aws:TagKeys": ["env", "cost"]]))
        #expect(try holds(c, [:]), "ForAllValues is true when the key is absent")
        #expect(try holds(c, ["aws:TagKeys": .multiple([])]), "and when the key has no values")
        #expect(try holds(c, ["aws:TagKeys": ""]), "an empty string resolves to an empty data set")
    }

    @Test func forAnyValue() throws {
        let c = #"{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}"#
        #expect(try holds(c, ["aws:TagKeys": ["cost", "team"]]))
        #expect(try !holds(c, ["aws:TagKeys": ["cost"]]))
        #expect(try !holds(c, [:]), "ForAnyValue is false when the key is absent")
        #expect(try !holds(c, ["aws:TagKeys": .multiple([])]))
    }

    /// Docs example ("Multivalued context key examples"): Deny with
    /// ForAllValues:StringNotLike aws:TagKeys "key1*".
    @Test func forAllValuesStringNotLikeMatchesDocsTable() throws {
        let c = #"{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}"#
        #expect(try !holds(c, ["aws:TagKeys": ["key1:legal"]]))
        #expect(try !holds(c, ["aws:TagKeys": ["key1:hr", "key1:personnel"]]))
        #expect(try holds(c, ["aws:TagKeys": ["key2:audit"]]))
        #expect(try holds(c, [:]))
    }

    @Test func forAnyValueNegated() throws {
        let c = #"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}}"#
        #expect(try holds(c, ["aws:TagKeys": ["a", "z"]]), "z matches none of the policy values")
        #expect(try !holds(c, ["aws:TagKeys": ["a", "b"]]))
    }

    @Test func setOperatorsWithIfExists() throws {
        #expect(try holds(#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"x"}}"#, [:]))
        #expect(try !holds(#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"x"}}"#, ["aws:TagKeys": ["y"]]))
    }

    /// Without a set operator a multivalued key is read as "any value matches";
    /// the negated operator is its exact complement.
    @Test func plainOperatorOnMultivaluedKey() throws {
        #expect(try holds(#"{"StringEquals":{"k":"b"}}"#, ["k": ["a", "b"]]))
        #expect(try !holds(#"{"StringEquals":{"k":"c"}}"#, ["k": ["a", "b"]]))
        #expect(try !holds(#"{"StringNotEquals":{"k":"b"}}"#, ["k": ["a", "b"]]))
        #expect(try holds(#"{"StringNotEquals":{"k":"c"}}"#, ["k": ["a", "b"]]))
    }

    // MARK: Numeric

    @Test func numericOperators() throws {
        let ctx: [String: ContextValue] = ["n": "10"]
        #expect(try holds(#"{"NumericEquals":{"n":"10.0"}}"#, ctx))
        #expect(try holds(#"{"NumericEquals":{"n":10}}"#, ctx))
        #expect(try !holds(#"{"NumericNotEquals":{"n":"10"}}"#, ctx))
        #expect(try holds(#"{"NumericNotEquals":{"n":["1","2"]}}"#, ctx))
        #expect(try holds(#"{"NumericLessThan":{"n":"11"}}"#, ctx))
        #expect(try !holds(#"{"NumericLessThan":{"n":"10"}}"#, ctx))
        #expect(try holds(#"{"NumericLessThanEquals":{"n":"10"}}"#, ctx))
        #expect(try holds(#"{"NumericGreaterThan":{"n":"-3.5"}}"#, ctx))
        #expect(try !holds(#"{"NumericGreaterThan":{"n":"10"}}"#, ctx))
        #expect(try holds(#"{"NumericGreaterThanEquals":{"n":"10"}}"#, ctx))
        #expect(try !holds(#"{"NumericEquals":{"n":"10"}}"#, ["n": "ten"]), "an unparsable request value does not match")
    }

    // MARK: Date

    @Test func dateOperatorsAcceptISOAndEpoch() throws {
        // 2024-06-01T12:00:00Z == 1717243200
        let iso: [String: ContextValue] = ["aws:CurrentTime": "2024-06-01T12:00:00Z"]
        let epoch: [String: ContextValue] = ["aws:CurrentTime": "1717243200"]
        for ctx in [iso, epoch] {
            #expect(try holds(#"{"DateEquals":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}"#, ctx))
            #expect(try holds(#"{"DateEquals":{"aws:CurrentTime":"1717243200"}}"#, ctx))
            #expect(try holds(#"{"DateEquals":{"aws:CurrentTime":"2024-06-01T14:00:00+02:00"}}"#, ctx), "offsets are honoured")
            #expect(try !holds(#"{"DateNotEquals":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}"#, ctx))
            #expect(try holds(#"{"DateLessThan":{"aws:CurrentTime":"2024-06-01T12:00:01Z"}}"#, ctx))
            #expect(try !holds(#"{"DateLessThan":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}"#, ctx))
            #expect(try holds(#"{"DateLessThanEquals":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}"#, ctx))
            #expect(try holds(#"{"DateGreaterThan":{"aws:CurrentTime":"2024-06-01"}}"#, ctx), "a date alone is midnight UTC")
            #expect(try holds(#"{"DateGreaterThanEquals":{"aws:CurrentTime":1717243200}}"#, ctx))
            #expect(try !holds(#"{"DateGreaterThan":{"aws:CurrentTime":"2024-06-02"}}"#, ctx))
        }
        #expect(try holds(#"{"DateLessThan":{"aws:CurrentTime":"2024-06-01T12:00:00.500Z"}}"#, iso), "fractional seconds")
        #expect(try !holds(#"{"DateEquals":{"aws:CurrentTime":"2024-06-01"}}"#, ["aws:CurrentTime": "not a date"]))
    }

    @Test func dateParserKnownAnswers() {
        #expect(DateValue.parse("1970-01-01T00:00:00Z") == 0)
        #expect(DateValue.parse("2000-02-29T00:00:00Z") == 951_782_400)
        #expect(DateValue.parse("2020-01-01T00:00:01Z") == 1_577_836_801)
        #expect(DateValue.parse("2020-01") == 1_577_836_800)
        #expect(DateValue.parse("2021-02-29") == nil, "not a leap year")
        #expect(DateValue.parse("2020-13-01") == nil)
        #expect(DateValue.parse("2020-01-01T25:00Z") == nil)
    }

    // MARK: Bool, Binary, Null

    @Test func boolOperator() throws {
        #expect(try holds(#"{"Bool":{"aws:SecureTransport":"true"}}"#, ["aws:SecureTransport": "true"]))
        #expect(try holds(#"{"Bool":{"aws:SecureTransport":true}}"#, ["aws:SecureTransport": "TRUE"]))
        #expect(try !holds(#"{"Bool":{"aws:SecureTransport":"true"}}"#, ["aws:SecureTransport": "false"]))
        #expect(try !holds(#"{"Bool":{"aws:SecureTransport":"false"}}"#, [:]))
    }

    @Test func binaryEquals() throws {
        // "BinaryValueInBase64" in base64, the docs' example value.
        let c = #"{"BinaryEquals":{"k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#
        #expect(try holds(c, ["k": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="]))
        #expect(try holds(c, ["k": "QmluYXJ5VmFsdWVJbkJhc2U2NA"]), "padding is optional; bytes are compared")
        #expect(try !holds(c, ["k": "QmluYXJ5VmFsdWVJbkJhc2U2NQ=="]))
        #expect(Base64.decode("QmluYXJ5VmFsdWVJbkJhc2U2NA==") == Array("BinaryValueInBase64".utf8))
    }

    @Test func nullOperator() throws {
        let absent = #"{"Null":{"aws:TokenIssueTime":"true"}}"#
        let present = #"{"Null":{"aws:TokenIssueTime":"false"}}"#
        #expect(try holds(absent, [:]))
        #expect(try !holds(absent, ["aws:TokenIssueTime": "2024-01-01T00:00:00Z"]))
        #expect(try !holds(present, [:]))
        #expect(try holds(present, ["aws:TokenIssueTime": "2024-01-01T00:00:00Z"]))
        #expect(try holds(absent, ["aws:TokenIssueTime": .multiple([])]), "an empty value list counts as absent")
        #expect(try holds(#"{"Null":{"aws:TokenIssueTime":true}}"#, [:]))
    }

    // MARK: IP addresses

    @Test func ipv4Ranges() throws {
        let c = #"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","198.51.100.7"]}}"#
        #expect(try holds(c, ["aws:SourceIp": "203.0.113.200"]))
        #expect(try holds(c, ["aws:SourceIp": "198.51.100.7"]), "no prefix means /32")
        #expect(try !holds(c, ["aws:SourceIp": "198.51.100.8"]))
        #expect(try !holds(c, ["aws:SourceIp": "203.0.114.1"]))
        #expect(try holds(#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#, ["aws:SourceIp": "8.8.8.8"]))
        #expect(try holds(#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, ["aws:SourceIp": "11.0.0.1"]))
        #expect(try !holds(#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, ["aws:SourceIp": "10.200.0.1"]))
    }

    @Test func ipv6Ranges() throws {
        let c = #"{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}"#
        #expect(try holds(c, ["aws:SourceIp": "2001:db8:1234:5678:abcd::1"]))
        #expect(try !holds(c, ["aws:SourceIp": "2001:db8:1234:5679::1"]))
        #expect(try !holds(c, ["aws:SourceIp": "203.0.113.1"]), "families do not mix")
        #expect(try holds(#"{"IpAddress":{"aws:SourceIp":"::1"}}"#, ["aws:SourceIp": "0:0:0:0:0:0:0:1"]))
        #expect(try holds(#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, ["aws:SourceIp": "::ffff:10.1.2.3"]), "IPv4-mapped IPv6 compares as IPv4")
        #expect(IPNetwork.parse("2001:db8::1::2") == nil)
        #expect(IPNetwork.parse("1.2.3") == nil)
        #expect(IPNetwork.parse("256.1.1.1") == nil)
    }

    // MARK: ARN

    @Test func arnOperatorsMatchSegmentBySegment() throws {
        // Docs example: StringLike matches, ArnLike does not, because ArnLike checks each segment.
        let value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        #expect(try holds(#"{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#, ["aws:SourceArn": .single(value)]))
        #expect(try !holds(#"{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#, ["aws:SourceArn": .single(value)]))
        let c = #"{"ArnLike":{"aws:SourceArn":"arn:aws:bedrock:*:111122223333:model-customization-job/*"}}"#
        #expect(try holds(c, ["aws:SourceArn": "arn:aws:bedrock:us-west-2:111122223333:model-customization-job/j-1"]))
        #expect(try !holds(c, ["aws:SourceArn": "arn:aws:bedrock:us-west-2:999999999999:model-customization-job/j-1"]))
        #expect(try holds(#"{"ArnEquals":{"a":"arn:aws:sns:us-east-1:111122223333:topic"}}"#, ["a": "arn:aws:sns:us-east-1:111122223333:topic"]))
        #expect(try !holds(#"{"ArnEquals":{"a":"arn:aws:sns:us-east-1:111122223333:topic"}}"#, ["a": "arn:aws:sns:us-east-1:111122223333:Topic"]), "case-sensitive")
        #expect(try holds(#"{"ArnNotLike":{"a":"arn:aws:iam::*:role/admin-*"}}"#, ["a": "arn:aws:iam::111122223333:role/App"]))
        #expect(try !holds(#"{"ArnNotEquals":{"a":"arn:aws:iam::*:role/App"}}"#, ["a": "arn:aws:iam::111122223333:role/App"]))
        #expect(try !holds(#"{"ArnLike":{"a":"arn:aws:iam::*:role/App"}}"#, ["a": "not-an-arn"]))
        // The resource part keeps its colons.
        #expect(try holds(#"{"ArnLike":{"a":"arn:aws:bedrock:*::foundation-model/anthropic.*"}}"#, ["a": .single(haikuArn)]))
    }

    @Test func conditionExplanationNamesTheReason() throws {
        let c = try CompiledCondition.compile(op: try ConditionOperator.parse("StringNotEquals").get(), key: "bedrock:GuardrailIdentifier",
                                              values: [guardrailArn], variables: true)
        let text = c.explain(ResolvedContext(values: [:]))
        #expect(text == "StringNotEquals bedrock:GuardrailIdentifier \"\(guardrailArn)\" is true: bedrock:GuardrailIdentifier is not in the request context (a negated operator is true when the key is absent)")
    }
}
