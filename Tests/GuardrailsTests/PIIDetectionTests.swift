import Testing
@testable import Guardrails

/// Detections of `type` in `text`, as matched strings.
private func found(_ text: String, _ type: GuardrailPiiEntityType) -> [String] {
    GuardrailEngine.detectPII(text).filter { $0.type == type }.map(\.match)
}

/// Positive and negative examples for each of the 31 PII entity types. Known-valid identifiers
/// come from public test values (Stripe/PayPal test cards, the ABA number of JPMorgan Chase 021000021,
/// the VIN 1HGCM82633A004352 used in NHTSA examples, NHS 943 476 5919 from the NHS data dictionary);
/// the others are built with the checksum in the test.
struct PIIDetectionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let type: GuardrailPiiEntityType
        let text: String
        let expected: [String]
        var testDescription: String { "\(type.rawValue): \(text)" }
    }

    static let positives: [Case] = [
        .init(type: .address, text: "Ship it to 221 Baker Street today.", expected: ["221 Baker Street"]),
        .init(type: .address, text: "Send to 1600 Pennsylvania Avenue NW, Washington, DC 20500 now", expected: ["1600 Pennsylvania Avenue NW, Washington, DC 20500"]),
        .init(type: .address, text: "Office: 12 Oak Rd, Apt 4B.", expected: ["12 Oak Rd, Apt 4B"]),
        .init(type: .age, text: "He is 42 years old.", expected: ["42"]),
        .init(type: .age, text: "The patient, aged 37, recovered.", expected: ["37"]),
        .init(type: .age, text: "A 35-year-old driver.", expected: ["35"]),
        .init(type: .awsAccessKey, text: "key AKIA2E3F4G5H6J7K2L3M leaked", expected: ["AKIA2E3F4G5H6J7K2L3M"]),
        .init(type: .awsAccessKey, text: "temporary ASIAZTDCMMGWNNOZUQDL", expected: ["ASIAZTDCMMGWNNOZUQDL"]),
        .init(type: .awsSecretKey, text: "aws_secret_access_key = abcdEFGHijklMNOPqrstUVWXyz0123456789+/AB", expected: ["abcdEFGHijklMNOPqrstUVWXyz0123456789+/AB"]),
        .init(type: .awsSecretKey, text: "The secret key is Zq8/K7MDENGbPxRfiCYq1w2e3r4t5y6u7i8o9p0a", expected: ["Zq8/K7MDENGbPxRfiCYq1w2e3r4t5y6u7i8o9p0a"]),
        .init(type: .caHealthNumber, text: "Health card: 1234-567-890-AB.", expected: ["1234-567-890-AB"]),
        .init(type: .caHealthNumber, text: "OHIP 1234 567 890", expected: ["1234 567 890"]),
        .init(type: .caSocialInsuranceNumber, text: "SIN 130 714 587.", expected: ["130 714 587"]),
        .init(type: .caSocialInsuranceNumber, text: "Their number is 130-714-587.", expected: ["130-714-587"]),
        .init(type: .creditDebitCardCvv, text: "CVV 123 please", expected: ["123"]),
        .init(type: .creditDebitCardCvv, text: "The security code is 4821.", expected: ["4821"]),
        .init(type: .creditDebitCardExpiry, text: "It expires 03/27.", expected: ["03/27"]),
        .init(type: .creditDebitCardExpiry, text: "Exp. date: 11/2029", expected: ["11/2029"]),
        .init(type: .creditDebitCardNumber, text: "Visa 4111 1111 1111 1111 ok", expected: ["4111 1111 1111 1111"]),
        .init(type: .creditDebitCardNumber, text: "MC 5555-5555-5555-4444 ok", expected: ["5555-5555-5555-4444"]),
        .init(type: .creditDebitCardNumber, text: "Amex 378282246310005", expected: ["378282246310005"]),
        .init(type: .creditDebitCardNumber, text: "Amex 3782 822463 10005", expected: ["3782 822463 10005"]),
        .init(type: .creditDebitCardNumber, text: "Mastercard 2-series 2223000048400011", expected: ["2223000048400011"]),
        .init(type: .creditDebitCardNumber, text: "Maestro 639015123453 (12 digits)", expected: ["639015123453"]),
        .init(type: .creditDebitCardNumber, text: "Visa 19: 4213123456789012342", expected: ["4213123456789012342"]),
        .init(type: .creditDebitCardNumber, text: "JCB 213112345678904 and 180012345678905", expected: ["213112345678904", "180012345678905"]),
        .init(type: .creditDebitCardNumber, text: "JCB 3530111333300000", expected: ["3530111333300000"]),
        .init(type: .driverId, text: "Driver's license D1234567.", expected: ["D1234567"]),
        .init(type: .driverId, text: "DL: 123456789", expected: ["123456789"]),
        .init(type: .email, text: "Write to jane.doe+news@mail.example.co.uk.", expected: ["jane.doe+news@mail.example.co.uk"]),
        .init(type: .internationalBankAccountNumber, text: "IBAN GB82 WEST 1234 5698 7654 32.", expected: ["GB82 WEST 1234 5698 7654 32"]),
        .init(type: .internationalBankAccountNumber, text: "to DE89370400440532013000 today", expected: ["DE89370400440532013000"]),
        .init(type: .ipAddress, text: "from 192.168.1.20, again", expected: ["192.168.1.20"]),
        .init(type: .ipAddress, text: "v6 2001:db8::ff00:42:8329 and fe80::1ff:fe23:4567:890a", expected: ["2001:db8::ff00:42:8329", "fe80::1ff:fe23:4567:890a"]),
        .init(type: .licensePlate, text: "The car AB12 CDE was parked.", expected: ["AB12 CDE"]),
        .init(type: .licensePlate, text: "license plate ABC-1234.", expected: ["ABC-1234"]),
        .init(type: .licensePlate, text: "registration 7ABC123", expected: ["7ABC123"]),
        .init(type: .macAddress, text: "MAC 00:1A:2B:3C:4D:5E or 00-1a-2b-3c-4d-5e", expected: ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e"]),
        .init(type: .name, text: "I spoke with John Smith yesterday.", expected: ["John Smith"]),
        .init(type: .name, text: "Ask Mary J. Watson or Dr. Watson.", expected: ["Mary J. Watson", "Watson"]),
        .init(type: .name, text: "Name: Zephyr Quill", expected: ["Zephyr Quill"]),
        .init(type: .password, text: "password: hunter2!", expected: ["hunter2!"]),
        .init(type: .password, text: "My password is T$MqI6^00eMw&D", expected: ["T$MqI6^00eMw&D"]),
        .init(type: .phone, text: "Call (555) 234-5678.", expected: ["(555) 234-5678"]),
        .init(type: .phone, text: "Call 555-234-5678 or 555.234.5678", expected: ["555-234-5678", "555.234.5678"]),
        .init(type: .phone, text: "Call +1 555 234 5678 now", expected: ["+1 555 234 5678"]),
        .init(type: .phone, text: "Call 001-555-234-5678x123 now", expected: ["001-555-234-5678x123"]),
        .init(type: .phone, text: "Call 555-234-5678 ext. 42", expected: ["555-234-5678 ext. 42"]),
        .init(type: .phone, text: "London +44 20 7946 0958 or 020 7946 0958", expected: ["+44 20 7946 0958", "020 7946 0958"]),
        .init(type: .phone, text: "phone 5552345678", expected: ["5552345678"]),
        .init(type: .pin, text: "PIN: 4821", expected: ["4821"]),
        .init(type: .swiftCode, text: "SWIFT code DEUTDEFF.", expected: ["DEUTDEFF"]),
        .init(type: .swiftCode, text: "Use NWBKGB2L or BOFAUS3NXXX", expected: ["NWBKGB2L", "BOFAUS3NXXX"]),
        .init(type: .ukNationalHealthServiceNumber, text: "NHS number 943 476 5919.", expected: ["943 476 5919"]),
        .init(type: .ukNationalInsuranceNumber, text: "NINO AB 12 34 56 C and AB123456C", expected: ["AB 12 34 56 C", "AB123456C"]),
        .init(type: .ukUniqueTaxpayerReferenceNumber, text: "UTR 1123456789", expected: ["1123456789"]),
        .init(type: .ukUniqueTaxpayerReferenceNumber, text: "ref 11234 56789 filed", expected: ["11234 56789"]),
        .init(type: .url, text: "See https://www.example.com/path?q=1. Thanks", expected: ["https://www.example.com/path?q=1"]),
        .init(type: .url, text: "Docs at www.example.org and example.io/docs", expected: ["www.example.org", "example.io/docs"]),
        .init(type: .username, text: "username: jdoe_42", expected: ["jdoe_42"]),
        .init(type: .username, text: "Login: river123", expected: ["river123"]),
        .init(type: .usBankAccountNumber, text: "account number 12345678901.", expected: ["12345678901"]),
        .init(type: .usBankRoutingNumber, text: "routing number 021000021.", expected: ["021000021"]),
        .init(type: .usIndividualTaxIdentificationNumber, text: "ITIN 912-70-1234", expected: ["912-70-1234"]),
        .init(type: .usPassportNumber, text: "passport number 123456789", expected: ["123456789"]),
        .init(type: .usPassportNumber, text: "Passport S58111757.", expected: ["S58111757"]),
        .init(type: .usSocialSecurityNumber, text: "SSN 123-45-6789.", expected: ["123-45-6789"]),
        .init(type: .usSocialSecurityNumber, text: "social security number 123456789", expected: ["123456789"]),
        .init(type: .vehicleIdentificationNumber, text: "VIN 1HGCM82633A004352.", expected: ["1HGCM82633A004352"]),
    ]

    @Test("detects each entity type", arguments: positives)
    func positive(_ c: Case) {
        #expect(found(c.text, c.type) == c.expected)
    }

    @Test("every one of the 31 types has a positive example")
    func coverage() {
        let covered = Set(Self.positives.map(\.type))
        #expect(covered == Set(GuardrailPiiEntityType.allCases))
        #expect(GuardrailPiiEntityType.allCases.count == 31)
    }

    static let negatives: [Case] = [
        // Phones: unix times, 10-digit ids and invalid NANP numbers are not phones.
        .init(type: .phone, text: "Build 1700000000 finished at 1700000123456.", expected: []),
        .init(type: .phone, text: "Ticket 4155552671 was closed.", expected: []),
        .init(type: .phone, text: "Dial 555-123-4567 (exchange 1xx is not assigned).", expected: []),
        .init(type: .phone, text: "The call ended at 12:30:45 on 2024-05-01.", expected: []),
        // AWS secrets: git SHAs and bare base64 without a secret keyword; doc placeholders.
        .init(type: .awsSecretKey, text: "See commit 3f786850e387550fdab836ed7e6dc881de23001b for the fix.", expected: []),
        .init(type: .awsSecretKey, text: "token abcdEFGHijklMNOPqrstUVWXyz0123456789+/AB", expected: []),
        .init(type: .awsSecretKey, text: "secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", expected: []),
        .init(type: .awsAccessKey, text: "Docs use AKIAIOSFODNN7EXAMPLE as the key.", expected: []),
        .init(type: .awsAccessKey, text: "Not a key: AKIDEFGHIJKLMNOPQRST", expected: []),
        // IPs: versions and impossible quads.
        .init(type: .ipAddress, text: "Upgrade to version 1.2.3.4 or v1.2.3.4 or release 10.0.0.1.", expected: []),
        .init(type: .ipAddress, text: "Values 999.1.1.1 and 1.2.3.4.5 and 12:30:45:10.", expected: []),
        // URLs: no double report of an email domain; file names and abbreviations are not domains.
        .init(type: .url, text: "Mail john@example.com about file.js, e.g. john.sm or README.md", expected: []),
        // Cards: Luhn failures, issuer prefixes nobody uses, ms timestamps.
        .init(type: .creditDebitCardNumber, text: "Order 4111111111111112 and 9111111111111111 and 1700000000000.", expected: []),
        .init(type: .creditDebitCardNumber, text: "Ref 4111 1111 1111 1112", expected: []),
        // SSN structure rules.
        .init(type: .usSocialSecurityNumber, text: "000-12-3456 666-12-3456 123-00-4567 123-45-0000 900-12-3456", expected: []),
        .init(type: .usSocialSecurityNumber, text: "Just 123456789 on its own", expected: []),
        // ITIN groups outside the issued ranges.
        .init(type: .usIndividualTaxIdentificationNumber, text: "912-69-1234 and 912-93-1234", expected: []),
        // IBAN with a wrong check.
        .init(type: .internationalBankAccountNumber, text: "GB82 WEST 1234 5698 7654 33", expected: []),
        // ABA checksum.
        .init(type: .usBankRoutingNumber, text: "routing number 021000022", expected: []),
        // VIN check digit, and a digits-only 17-character run.
        .init(type: .vehicleIdentificationNumber, text: "1HGCM82634A004352 and 11111111111111111", expected: []),
        // NHS mod 11.
        .init(type: .ukNationalHealthServiceNumber, text: "NHS number 943 476 5918", expected: []),
        // NINO prefixes that are never issued, and a bad suffix.
        .init(type: .ukNationalInsuranceNumber, text: "QQ 12 34 56 C, BG123456A, AB123456E", expected: []),
        // UTR check digit.
        .init(type: .ukUniqueTaxpayerReferenceNumber, text: "UTR 2123456789", expected: []),
        // SIN Luhn.
        .init(type: .caSocialInsuranceNumber, text: "SIN 130 714 588", expected: []),
        // SWIFT-shaped capitals without a keyword or digit.
        .init(type: .swiftCode, text: "BUSINESS HOSPITAL PLATFORM", expected: []),
        // Context-only types need their keyword.
        .init(type: .creditDebitCardCvv, text: "There were 123 of them.", expected: []),
        .init(type: .creditDebitCardExpiry, text: "Meet on 12/27 at noon; exp 13/27 is no month.", expected: []),
        .init(type: .pin, text: "pin 12 to the board", expected: []),
        .init(type: .password, text: "The password policy changed.", expected: []),
        .init(type: .username, text: "The user clicked the button.", expected: []),
        .init(type: .usBankAccountNumber, text: "account 42 and 12345678901", expected: []),
        .init(type: .usPassportNumber, text: "Number 123456789", expected: []),
        .init(type: .driverId, text: "Released under the license MIT.", expected: []),
        .init(type: .age, text: "It happened 5 years ago.", expected: []),
        .init(type: .name, text: "Will power and Mark the date; Grant funding.", expected: []),
        .init(type: .address, text: "We saw 42 apples in 3 baskets.", expected: []),
        .init(type: .macAddress, text: "Time 12:30:45 and 00:1A:2B:3C:4D", expected: []),
    ]

    @Test("rejects look-alikes and classic false positives", arguments: negatives)
    func negative(_ c: Case) {
        #expect(found(c.text, c.type) == c.expected)
    }

    @Test("the email domain is not also a URL")
    func emailDomainOnce() {
        let d = GuardrailEngine.detectPII("Contact ann.lee@example.net today")
        #expect(d.map(\.type) == [.email])
        #expect(d.first?.match == "ann.lee@example.net")
    }

    @Test("profanity traps and prose produce no PII")
    func prose() {
        #expect(GuardrailEngine.detectPII("Scunthorpe class assessment: the cocktail therapist passed 3 grass tests in 2019.").isEmpty)
    }

    @Test("checksums", arguments: [
        ("4111111111111111", true), ("4111111111111112", false), ("79927398713", true), ("79927398710", false),
    ])
    func luhn(_ s: String, _ ok: Bool) {
        let d = Array(s.utf8).map { $0 - 48 }
        #expect(PIIChecks.luhn(d[...]) == ok)
    }

    @Test("ABA, NHS, UTR, VIN, IBAN validators")
    func validators() {
        func digits(_ s: String) -> ArraySlice<UInt8> { Array(s.utf8).map { $0 - 48 }[...] }
        #expect(PIIChecks.abaRouting(digits("021000021")))
        #expect(!PIIChecks.abaRouting(digits("021000022")))
        #expect(!PIIChecks.abaRouting(digits("000000000")))
        #expect(PIIChecks.nhs(digits("9434765919")))
        #expect(!PIIChecks.nhs(digits("9434765918")))
        #expect(PIIChecks.ukUTR(digits("1123456789")))
        #expect(!PIIChecks.ukUTR(digits("2123456789")))
        #expect(PIIChecks.vin(Array("1HGCM82633A004352".utf8)[...]))
        #expect(!PIIChecks.vin(Array("1HGCM82633A00435I".utf8)[...]))
        #expect(PIIChecks.iban(Array("GB82WEST12345698765432".utf8)[...]))
        #expect(!PIIChecks.iban(Array("GB82WEST12345698765433".utf8)[...]))
        #expect(PIIChecks.ssn(digits("123456789")))
        #expect(PIIChecks.itin(digits("912701234")))
        #expect(!PIIChecks.itin(digits("912691234")))
    }
}
