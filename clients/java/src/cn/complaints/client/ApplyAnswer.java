package cn.complaints.client;

import java.util.Map;

/** The stored answer of an application; a replay with the same key returns exactly this. {@code state}: applied or reversed. */
public record ApplyAnswer(long applicationId, long offsetId, String billId, long amountFen, long remainingFen, String appliedAt, String idempotencyKey, String state) {
    static ApplyAnswer from(Object json) {
        Map<String, Object> m = Read.asObj(json);
        return new ApplyAnswer(
                Read.num(m, "applicationId"),
                Read.num(m, "offsetId"),
                Read.str(m, "billId"),
                Read.num(m, "amountFen"),
                Read.num(m, "remainingFen"),
                Read.str(m, "appliedAt"),
                Read.str(m, "idempotencyKey"),
                Read.str(m, "state"));
    }
}
