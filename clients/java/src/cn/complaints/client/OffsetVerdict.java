package cn.complaints.client;

import java.util.Map;

/**
 * The check's answer for one offset line: {@code allowed}, or refused with a code (bill_paid, not_approved,
 * expired, exceeds_remaining, exceeds_bill, other_unit, …) and a message in zh-CN and en.
 */
public record OffsetVerdict(long offsetId, long amountFen, boolean allowed, String code, String messageZh, String messageEn, Long remainingFen) {
    static OffsetVerdict from(Object json) {
        Map<String, Object> m = Read.asObj(json);
        return new OffsetVerdict(
                Read.num(m, "offsetId"),
                Read.num(m, "amountFen"),
                Read.bool(m, "allowed"),
                Read.str(m, "code"),
                Read.message(m, "message", "zh-CN"),
                Read.message(m, "message", "en"),
                Read.optLong(m, "remainingFen"));
    }
}
