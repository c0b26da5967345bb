package cn.complaints.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Typed reads from parsed JSON; a field of the wrong type is an answer this client does not understand. */
final class Read {
    private Read() {}

    static String str(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) return null;
        if (v instanceof String s) return s;
        throw wrong(key, "a string", v);
    }

    static Long optLong(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) return null;
        if (v instanceof Long l) return l;
        throw wrong(key, "a whole number", v);
    }

    static long num(Map<String, Object> m, String key) {
        Long v = optLong(m, key);
        if (v == null) throw wrong(key, "a whole number", null);
        return v;
    }

    static boolean bool(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v instanceof Boolean b) return b;
        throw wrong(key, "true or false", v);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) return null;
        if (v instanceof Map) return (Map<String, Object>) v;
        throw wrong(key, "an object", v);
    }

    @SuppressWarnings("unchecked")
    static <T> List<T> list(Map<String, Object> m, String key, Function<Object, T> item) {
        Object v = m.get(key);
        if (v == null) return List.of();
        if (!(v instanceof List)) throw wrong(key, "a list", v);
        List<T> out = new ArrayList<>();
        for (Object o : (List<Object>) v) out.add(item.apply(o));
        return List.copyOf(out);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asObj(Object o) {
        if (o instanceof Map) return (Map<String, Object>) o;
        throw new IllegalStateException("Expected a JSON object in the answer, got " + o);
    }

    /** A localized message ({"zh-CN": …, "en": …}) in one language; zh-CN when the other is missing. */
    static String message(Map<String, Object> m, String key, String lang) {
        Map<String, Object> localized = obj(m, key);
        if (localized == null) return null;
        String text = str(localized, lang);
        return text != null ? text : str(localized, "zh-CN");
    }

    private static IllegalStateException wrong(String key, String expected, Object got) {
        return new IllegalStateException("Unexpected answer: \"" + key + "\" should be " + expected + ", got " + got);
    }
}
