package cn.complaints.client;

import java.util.List;
import java.util.UUID;

/**
 * Walks the money path against a running service: a cashier's user token finds the unit, then check →
 * apply → replay (same payment id: same answer; other amount: refused) → reverse → replay of the reversal
 * → check again → reconcile. Prints each step; exits 1 on the first answer that is not the expected one.
 *
 * <pre>
 *   COMPLAINTS_URL=http://127.0.0.1:3000/complaints COMPLAINTS_SECRET=… \
 *   EXAMPLE_BILL_ID=1001 EXAMPLE_OFFSET_ID=7 EXAMPLE_AMOUNT_FEN=500 [EXAMPLE_UNIT_QUERY=8001] \
 *   java -cp out cn.complaints.client.Example
 * </pre>
 */
public final class Example {
    private Example() {}

    static final class Unexpected extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unexpected(String what) {
            super(what);
        }
    }

    private static void expect(boolean ok, String what) {
        if (!ok) throw new Unexpected(what);
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            if (fallback == null) throw new Unexpected("set " + name);
            return fallback;
        }
        return v;
    }

    public static void main(String[] args) {
        try {
            run();
            System.out.println("example passed");
        } catch (Unexpected | ComplaintsApiException | IllegalStateException | IllegalArgumentException | java.io.UncheckedIOException e) {
            System.err.println("UNEXPECTED: " + e.getMessage());
            System.exit(1);
        }
    }

    static void run() {
        String url = env("COMPLAINTS_URL", "http://127.0.0.1:3000/complaints");
        String secret = env("COMPLAINTS_SECRET", null);
        String billId = env("EXAMPLE_BILL_ID", null);
        long offsetId = Long.parseLong(env("EXAMPLE_OFFSET_ID", null));
        long amountFen = Long.parseLong(env("EXAMPLE_AMOUNT_FEN", "100"));
        String unitQuery = System.getenv("EXAMPLE_UNIT_QUERY");
        String paymentId = "JAVA-PAY-" + UUID.randomUUID();
        String voidId = "JAVA-VOID-" + UUID.randomUUID();
        Operator cashier = new Operator("java-cashier", "收银员（Java 示例）");

        ComplaintsClient client = ComplaintsClient.builder(url, secret).language("en").build();

        if (unitQuery != null && !unitQuery.isEmpty()) {
            String token = new UserTokens(secret).sign(UserTokens.User.allCommunities("java-cashier", "收银员（Java 示例）", List.of("cashier")));
            List<Unit> units = client.searchUnits(token, unitQuery, 10);
            expect(!units.isEmpty(), "no unit found for \"" + unitQuery + "\"");
            System.out.println("units for \"" + unitQuery + "\": " + units.stream().map(u -> u.label() + " (" + u.id() + ")").toList());
        }

        BillCheck before = client.check(billId, List.of(new OffsetLine(offsetId, amountFen)));
        expect(before.found(), "bill " + billId + " not found");
        expect(before.allAllowed() && before.offsets().get(0).allowed(), "check refused: " + before.offsets().get(0).code() + " " + before.offsets().get(0).messageEn());
        long remainingBefore = before.offsets().get(0).remainingFen();
        System.out.println("check: allowed; offset " + offsetId + " has " + remainingBefore + " fen left; bill open to offsets " + before.openToOffsetsFen() + " fen; warnings " + before.warnings().stream().map(BillWarning::code).toList());

        ApplyRequest apply = new ApplyRequest(offsetId, billId, amountFen, paymentId, cashier);
        ApplyAnswer applied = client.apply(apply);
        expect("applied".equals(applied.state()), "apply answered state " + applied.state());
        expect(applied.remainingFen() == remainingBefore - amountFen, "remaining after apply is " + applied.remainingFen());
        System.out.println("apply: application " + applied.applicationId() + ", " + applied.remainingFen() + " fen left");

        ApplyAnswer replay = client.apply(apply);
        expect(replay.equals(applied), "a replay of the same payment id answered differently: " + replay);
        System.out.println("replay: same answer");

        try {
            client.apply(new ApplyRequest(offsetId, billId, amountFen + 1, paymentId, cashier));
            throw new Unexpected("the same payment id with another amount was accepted");
        } catch (ComplaintsApiException e) {
            expect(e.status() == 409 && "idempotency_mismatch".equals(e.code()), "other amount answered " + e.getMessage());
            System.out.println("other amount, same payment id: refused (" + e.code() + ")");
        }

        ReverseRequest reverse = new ReverseRequest(paymentId, voidId, billId, cashier);
        ReversalAnswer reversed = client.reverse(reverse);
        expect("reversed".equals(reversed.state()), "reverse answered state " + reversed.state());
        expect(reversed.remainingFen() == remainingBefore, "remaining after reversal is " + reversed.remainingFen());
        ReversalAnswer again = client.reverse(reverse);
        expect(again.equals(reversed), "a replay of the reversal answered differently");
        System.out.println("reverse: restored, " + reversed.remainingFen() + " fen left; replay: same answer");

        BillCheck after = client.check(billId, List.of(new OffsetLine(offsetId, amountFen)));
        expect(after.allAllowed() && after.offsets().get(0).remainingFen() == remainingBefore, "check after the reversal: " + after.offsets().get(0).code());

        ReconcileReport report = client.reconcile();
        expect(report.ok(), "reconcile found mismatches: " + report.mismatches() + " " + report.billMismatches());
        System.out.println("reconcile: ok over " + report.offsetsChecked() + " offsets and " + report.billsChecked() + " bills");
    }
}
