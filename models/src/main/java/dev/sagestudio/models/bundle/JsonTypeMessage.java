package dev.sagestudio.models.bundle;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collection;
import dev.sagestudio.models.scheduler.JsonName;
import java.util.Map;

/**
 * "expected an integer, got the string \"4\"" for a model.json value of the wrong JSON type, in the document's
 * terms: Jackson's own message names Java classes and its coercion settings, which mean nothing to a bundle author.
 */
final class JsonTypeMessage {

    private JsonTypeMessage() {
    }

    static String of(JsonMappingException e, JsonNode tree) {
        return "expected " + expected(e) + ", got " + found(at(tree, e));
    }

    private static String expected(JsonMappingException e) {
        Class<?> type = e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException m
                ? m.getTargetType() : null;
        if (type == null) {
            return "a value of another type";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
            return "a number";
        }
        if (type == String.class || type.isEnum() || JsonName.class.isAssignableFrom(type)) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord() || JsonNode.class.isAssignableFrom(type)) {
            return "an object";
        }
        return "a value of another type";
    }

    private static JsonNode at(JsonNode tree, JsonMappingException e) {
        JsonNode node = tree;
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (node == null) {
                return null;
            }
            node = ref.getFieldName() != null ? node.get(ref.getFieldName()) : node.get(ref.getIndex());
        }
        return node;
    }

    private static String found(JsonNode node) {
        if (node == null) {
            return "nothing usable";
        }
        String text = node.toString();
        String shown = text.length() > 40 ? text.substring(0, 40) + "…" : text;
        return switch (node.getNodeType()) {
            case STRING -> "the string " + shown;
            case NUMBER -> (node.isIntegralNumber() ? "the integer " : "the number ") + shown;
            case BOOLEAN -> shown;
            case NULL -> "null";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> shown;
        };
    }
}
