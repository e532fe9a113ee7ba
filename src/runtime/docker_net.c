/*
 * docker_net: what address space the engine already uses (its networks'
 * IPAM subnets and the default pools it carves new networks from), so setup
 * can refuse a lab whose space Docker would also route on the host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "docker_internal.h"

static const struct pi_pos nopos = { NULL, 0, 0 };

int pi_docker_parse_network(json_t *j, struct pi_docker_network *out)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(j))
		return -EPROTO;
	pi_json_copy(j, "Name", out->name, sizeof(out->name));
	pi_json_copy(j, "Id", out->id, sizeof(out->id));
	pi_json_copy(j, "Driver", out->driver, sizeof(out->driver));
	json_t *cfg = json_object_get(json_object_get(j, "IPAM"), "Config");
	size_t i;
	json_t *c;
	json_array_foreach(cfg, i, c) {
		const char *subnet = json_string_value(json_object_get(c, "Subnet"));
		struct pi_prefix p;
		if (!subnet || pi_prefix_parse(subnet, &p) != 0)
			continue;
		if (out->n_subnets < PI_DOCKER_MAX_SUBNETS)
			out->subnets[out->n_subnets++] = pi_prefix_network(&p);
	}
	return 0;
}

int pi_docker_network_list(struct pi_docker *d, struct pi_vec *out, struct pi_diag *diag)
{
	json_t *j = NULL;
	int rc = pi_docker_call(d, "GET", "/v" PI_DOCKER_API "/networks", NULL, &j,
				"cannot list Docker networks", diag);
	if (rc)
		goto out;
	size_t i;
	json_t *n;
	json_array_foreach(j, i, n) {
		struct pi_docker_network net;
		if (pi_docker_parse_network(n, &net) == 0)
			*(struct pi_docker_network *)pi_vec_push(out) = net;
	}
out:
	json_decref(j);
	return rc;
}

int pi_docker_parse_pools(json_t *arr, struct pi_vec *out)
{
	if (!json_is_array(arr))
		return -EINVAL;
	size_t i;
	json_t *p;
	json_array_foreach(arr, i, p) {
		/* /info spells them Base/Size, daemon.json base/size. */
		json_t *b = json_object_get(p, "base");
		if (!b)
			b = json_object_get(p, "Base");
		json_t *s = json_object_get(p, "size");
		if (!s)
			s = json_object_get(p, "Size");
		struct pi_docker_pool pool;
		if (!json_is_string(b) || pi_prefix_parse(json_string_value(b), &pool.base) != 0)
			return -EINVAL;
		pool.base = pi_prefix_network(&pool.base);
		pool.size = json_is_integer(s) ? (unsigned)json_integer_value(s) : pool.base.len;
		if (pool.size < pool.base.len || pool.size > pi_prefix_maxlen(&pool.base))
			return -EINVAL;
		*(struct pi_docker_pool *)pi_vec_push(out) = pool;
	}
	return 0;
}

static void builtin_pools(struct pi_vec *out)
{
	/* dockerd's defaults when daemon.json sets none (libnetwork ipamutils). */
	for (unsigned i = 17; i <= 31; i++) {
		struct pi_docker_pool *p = pi_vec_push(out);
		char s[32];
		snprintf(s, sizeof(s), "172.%u.0.0/16", i);
		pi_prefix_parse(s, &p->base);
		p->size = 16;
	}
	struct pi_docker_pool *p = pi_vec_push(out);
	pi_prefix_parse("192.168.0.0/16", &p->base);
	p->size = 20;
}

int pi_docker_default_pools(struct pi_docker *d, const char *daemon_json_path, struct pi_vec *out,
			    const char **source, struct pi_diag *diag)
{
	json_t *info = NULL, *file = NULL;
	char *text = NULL;
	int rc = pi_docker_call(d, "GET", "/v" PI_DOCKER_API "/info", NULL, &info,
				"cannot ask the Docker engine for its configuration", diag);
	if (rc)
		goto out;
	json_t *pools = json_object_get(info, "DefaultAddressPools");
	if (json_is_array(pools) && json_array_size(pools) &&
	    pi_docker_parse_pools(pools, out) == 0) {
		*source = "engine";
		goto out;
	}
	/* API 1.41 does not report them: the engine runs with what daemon.json
	 * said when it started (a later edit without restart is not seen). */
	if (daemon_json_path && pi_read_file(daemon_json_path, &text, NULL) == 0) {
		file = json_loads(text, 0, NULL);
		pools = json_object_get(file, "default-address-pools");
		if (json_is_array(pools) && pi_docker_parse_pools(pools, out) == 0) {
			*source = "daemon.json";
			goto out;
		}
	}
	builtin_pools(out);
	*source = "built-in";
out:
	json_decref(info);
	json_decref(file);
	free(text);
	return rc;
}

int pi_docker_check_clash(struct pi_docker *d, const struct pi_prefix *spaces, size_t n_spaces,
			  struct pi_diag *diag)
{
	struct pi_vec nets = PI_VEC_INIT(struct pi_docker_network);
	struct pi_vec pools = PI_VEC_INIT(struct pi_docker_pool);
	const char *source = "";
	static const char hint[] =
		"run `pocketinternet configure-docker` (as root) to move Docker's own networks "
		"out of the lab's address space, or choose another address_space in the lab";
	char a[PI_PREFIX_STRLEN], b[PI_PREFIX_STRLEN];
	int clashes = 0;
	int rc = pi_docker_network_list(d, &nets, diag);
	if (rc)
		goto out;
	rc = pi_docker_default_pools(d, PI_DAEMON_JSON, &pools, &source, diag);
	if (rc)
		goto out;
	for (size_t l = 0; l < n_spaces; l++) {
		const struct pi_prefix *lab = &spaces[l];
		if (!pi_prefix_is_set(lab))
			continue;
		for (size_t i = 0; i < nets.len; i++) {
			struct pi_docker_network *n = pi_vec_at(&nets, i);
			for (size_t s = 0; s < n->n_subnets; s++) {
				if (n->subnets[s].family != lab->family ||
				    !pi_prefix_overlaps(&n->subnets[s], lab))
					continue;
				clashes++;
				if (diag)
					pi_diag_add(diag, nopos, hint,
						    "Docker network \"%s\" uses %s, inside the lab's address space %s",
						    n->name, pi_prefix_fmt(&n->subnets[s], a), pi_prefix_fmt(lab, b));
			}
		}
		for (size_t i = 0; i < pools.len; i++) {
			struct pi_docker_pool *p = pi_vec_at(&pools, i);
			if (p->base.family != lab->family || !pi_prefix_overlaps(&p->base, lab))
				continue;
			clashes++;
			if (diag)
				pi_diag_add(diag, nopos, hint,
					    "Docker's default address pool %s (%s) overlaps the lab's address space %s",
					    pi_prefix_fmt(&p->base, a), source, pi_prefix_fmt(lab, b));
		}
	}
	if (clashes)
		rc = -EADDRINUSE;
out:
	pi_vec_free(&nets);
	pi_vec_free(&pools);
	return rc;
}
