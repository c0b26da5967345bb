package cn.complaints.client;

import java.util.Map;

/** The answer of a reversal; the same reversalKey sent again returns it again. */
public record ReversalAnswer(long applicationId, long offsetId, String billId, long amountFen, long remainingFen, String reversedAt, String idempotencyKey, String reversalKey, String state) {
    static ReversalAnswer from(Object json) {
        Map<String, Object> m = Read.asObj(json);
        return new ReversalAnswer(
                Read.num(m, "applicationId"),
                Read.num(m, "offsetId"),
                Read.str(m, "billId"),
                Read.num(m, "amountFen"),
                Read.num(m, "remainingFen"),
                Read.str(m, "reversedAt"),
                Read.str(m, "idempotencyKey"),
                Read.str(m, "reversalKey"),
                Read.str(m, "state"));
    }
}
